/**
 * One undici Pool per route (keep-alive connections to each device console).
 *
 * Rules enforced:
 * - Every pool connects through pinnedConnector (pin.ts): an https route is verified by its pin
 *   or CA, never by nothing.
 * - Timeouts bound connect, response headers and body inactivity, so a stuck console cannot
 *   hold broker resources forever; connections per route are capped.
 * - A policy reload keeps pools of unchanged routes and closes the others.
 */
import { Pool } from 'undici';
import type { Logger } from '../../platform/log.ts';
import type { Policy, Route } from '../policy/index.ts';
import { pinnedConnector } from './pin.ts';

export interface UpstreamOptions {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  connectionsPerRoute: number;
}

function sameUpstream(a: Route, b: Route): boolean {
  return a.upstream.origin === b.upstream.origin && a.ca === b.ca && JSON.stringify(a.pins) === JSON.stringify(b.pins);
}

export class Upstreams {
  private readonly pools = new Map<string, { route: Route; pool: Pool }>();

  constructor(
    private readonly opts: UpstreamOptions,
    private readonly log: Logger,
  ) {}

  pool(route: Route): Pool {
    const cur = this.pools.get(route.id);
    if (cur !== undefined && cur.route === route) return cur.pool;
    if (cur !== undefined && sameUpstream(cur.route, route)) {
      this.pools.set(route.id, { route, pool: cur.pool });
      return cur.pool;
    }
    if (cur !== undefined) void cur.pool.close().catch(() => undefined);
    const pool = new Pool(route.upstream.origin, {
      connect: pinnedConnector(route, this.opts.connectTimeoutMs),
      connections: this.opts.connectionsPerRoute,
      pipelining: 1,
      headersTimeout: this.opts.headersTimeoutMs,
      bodyTimeout: this.opts.bodyTimeoutMs,
      keepAliveTimeout: 4_000,
    });
    pool.on('connectionError', (_origin, _targets, err) => this.log.warn({ route: route.id, err }, 'upstream connection failed'));
    this.pools.set(route.id, { route, pool });
    return pool;
  }

  /** Closes pools whose route disappeared or changed upstream. */
  retain(policy: Policy): void {
    for (const [id, { route, pool }] of this.pools) {
      const next = policy.routes.get(id);
      if (next === undefined || !sameUpstream(route, next)) {
        this.pools.delete(id);
        void pool.close().catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map(({ pool }) => pool.destroy().catch(() => undefined)));
  }
}
