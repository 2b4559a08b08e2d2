/**
 * WebSocket tunnels to consoles (RFC 6455 opening handshake relayed, then raw bytes both ways).
 *
 * Rules enforced:
 * - Only called after the upgrade was authorized (certificate live, session, policy with
 *   websocket: true) and the Origin equals the route's own origin (RFC 6455 §10.2): checked by
 *   the caller, see broker-server.ts.
 * - The upstream must answer 101; anything else is a 502 to the client, never a half-open tunnel.
 * - The tunnel lives at most until `deadline` (session expiry, route lifetime): then both sides
 *   are destroyed. Either side closing or failing destroys the other.
 * - Upgrade/Connection are set by the broker; the client's Sec-WebSocket-* headers pass through.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Pool } from 'undici';
import type { OutboundHeaders } from '../policy/index.ts';
import { classifyUpstreamError, type ForwardFailure } from './http-proxy.ts';

/** setTimeout's largest delay (2^31 - 1 ms, about 24.8 days); longer sessions are cut then. */
const MAX_TIMER_MS = 2_147_483_647;
const PASS_BACK = /^sec-websocket-(accept|protocol|extensions)$/;

export interface TunnelOptions {
  pool: Pool;
  req: IncomingMessage;
  client: Duplex;
  head: Buffer;
  target: string;
  headers: OutboundHeaders;
  upstreamHost: string;
  /** Epoch ms after which the tunnel is cut. */
  deadline: number;
  now: () => number;
}

export function rejectUpgrade(client: Duplex, status: number, reason: string): void {
  if (!client.writable) {
    client.destroy();
    return;
  }
  const body = `${reason}\n`;
  client.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 401 ? 'Unauthorized' : 'Error'}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** Opens the tunnel; resolves with a failure (nothing written yet) or null once piped. */
export async function tunnelWebSocket(o: TunnelOptions): Promise<ForwardFailure | null> {
  o.headers['host'] = o.upstreamHost;
  let up;
  try {
    up = await o.pool.upgrade({ path: o.target, method: 'GET', headers: o.headers, protocol: 'websocket' });
  } catch (e) {
    return classifyUpstreamError(e);
  }
  const upSocket = up.socket;
  if (o.client.destroyed) {
    upSocket.destroy();
    return null;
  }
  let head = 'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n';
  for (const [name, v] of Object.entries(up.headers)) {
    if (v === undefined || !PASS_BACK.test(name.toLowerCase())) continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${name}: ${one.replace(/[\r\n]/g, '')}\r\n`;
  }
  o.client.write(head + '\r\n');
  if (o.head.length > 0) upSocket.write(o.head);
  const timer = setTimeout(cut, Math.min(Math.max(0, o.deadline - o.now()), MAX_TIMER_MS));
  timer.unref();
  function cut(): void {
    clearTimeout(timer);
    o.client.destroy();
    upSocket.destroy();
  }
  o.client.on('error', cut).on('close', cut);
  upSocket.on('error', cut).on('close', cut);
  upSocket.pipe(o.client);
  o.client.pipe(upSocket);
  return null;
}
