/**
 * Benchmark `broker` (issue #5): the ZTNA broker against nginx as an mTLS reverse proxy, and
 * against the upstream directly, on the same machine, same upstream, same load generator.
 *
 * How: setup.ts makes the PKI with `gatehouse` (admin-client certificate for the load
 * generator, nginx's server certificate from the same CA) and an authenticated broker session
 * (certificate + SSO identity + TOTP, made through the broker's SessionService; its console-host
 * token is the cookie). servers.ts starts the upstream (1 KiB answers, WebSocket echo), the
 * broker (`gatehouse serve --role broker`, request audit in its default 'summary' mode) as
 * BENCH_BROKER_WORKERS processes sharing the listener (default: one per core, like nginx's
 * worker_processes auto; set through the product's own broker.workers) and, when that is > 1,
 * also as one process, nginx (our own conf), and a bare Node mTLS proxy (ceiling-proxy.ts).
 * check.ts verifies one answer of each. Then per round (BENCH_ROUNDS, default 3; order rotated
 * each round):
 *   A broker: https, client certificate, session cookie, Host = console host -> policy allow ->
 *     assertion (ES256 JWT) added -> upstream over HTTP/1.1 keep-alive (undici);
 *   B nginx: https, same client certificate -> proxy_pass with upstream keep-alive;
 *   C the upstream directly (plain HTTP);
 *   D the bare Node proxy (what Node's https + undici cost without any of the broker's checks);
 *   A1 the broker as one process;
 * each with autocannon (lib/load-child.ts with fineLatency: 32 keep-alive connections, pipelining 1, 1 s warm-up,
 * BENCH_SECONDS default 8, sub-millisecond latency per response); then WebSocket echo round
 * trips (ws-child.ts: 1 KiB messages, 2,000 sequential on one socket after 200 unmeasured)
 * through the broker, through nginx and directly.
 * Server CPU per request = the proxy's whole process tree (measure.ts). Last, revocation.ts
 * revokes the client certificate with live connections open on every broker process.
 * Targets: broker >= 0.6x nginx requests/s; broker p50 <= nginx p50 + 1 ms.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pushLoad, series, type Benchmark, type Series } from '../lib/benchmark.ts';
import { checkLoad, describeLoad, type LoadSpec } from '../lib/load.ts';
import { freePort, log, stopAll } from '../lib/proc.ts';
import { row, type Limit } from '../lib/report.ts';
import { fmt, summarize } from '../lib/stats.ts';
import { findOrInstall, missingNote, rounds, scratch, seconds } from '../lib/tools.ts';
import { SESSION_COOKIE } from '../../ztna-broker/index.ts';
import { checkSides } from './check.ts';
import { revocationCheck } from './revocation.ts';
import { httpLoad, wsEcho, type WsSpec } from './measure.ts';
import { startBroker, startCeiling, startNginx, startUpstream } from './servers.ts';
import { makeFixture, makeSession, ROUTE_HOST } from './setup.ts';

const CONC = 32;
const WS = { count: 2_000, warmup: 200, bytes: 1024 };

interface Side {
  name: string;
  http: Series;
  ws: Series;
  spec: LoadSpec;
  ws0: Omit<WsSpec, 'count' | 'warmup' | 'bytes'>;
  pids: number[];
}

async function measureHttp(s: Side): Promise<void> {
  const r = await httpLoad(s.spec, s.pids);
  checkLoad(s.name, r);
  log(`  ${s.name}: ${describeLoad(r)}`);
  pushLoad(s.http, r);
}

async function measureWs(s: Side): Promise<void> {
  const r = await wsEcho({ ...s.ws0, ...WS });
  log(`  ${s.name} WebSocket echo: p50 ${r.p50} ms p99 ${r.p99} ms (${r.rps} round trips/s on one socket)`);
  s.ws.values.push(r.p50);
  s.ws.p50.push(r.p50);
  s.ws.p99.push(r.p99);
}

const bench: Benchmark = {
  name: 'broker',
  title: 'ZTNA broker: mTLS + session + policy + assertion proxy vs nginx mTLS proxy (1 KiB, keep-alive c=32)',
  about: 'Gatehouse broker vs nginx mTLS reverse proxy vs the upstream directly; WebSocket echo',
  async run() {
    const sc = scratch('broker');
    const secs = seconds(8);
    const notes: string[] = [];
    try {
      const logDir = join(sc.dir, 'logs');
      mkdirSync(logDir, { recursive: true });
      const nginxBin = findOrInstall('/usr/sbin/nginx', 'nginx') ?? findOrInstall('nginx', 'nginx');
      if (!nginxBin) notes.push(missingNote('nginx', 'nginx'));
      const upPort = freePort();
      const f = await makeFixture(join(sc.dir, 'pki'), upPort);
      const upstream = await startUpstream(upPort, logDir);
      const upstreamUrl = `http://127.0.0.1:${upPort}`;
      const session = await makeSession(f);
      const workers = Math.max(1, Number(process.env.BENCH_BROKER_WORKERS ?? availableParallelism()) | 0);
      const broker = await startBroker(f, logDir, workers);
      const single = workers > 1 ? await startBroker(f, logDir, 1) : null;
      const nginx = nginxBin ? await startNginx(nginxBin, join(sc.dir, 'nginx'), f, upPort, logDir) : null;
      const ceiling = await startCeiling(f, upPort, logDir);
      await checkSides(f, broker, nginx, upstreamUrl, session.token);
      if (single) await checkSides(f, single, null, upstreamUrl, session.token);

      const cookie = `${SESSION_COOKIE}=${session.token}`;
      const tls = { certPem: f.client.certPem, keyPem: f.client.keyPem, caPem: f.caPem, servername: ROUTE_HOST };
      const spec = (url: string, headers: Record<string, string>, withTls: boolean): LoadSpec => ({
        url,
        connections: CONC,
        seconds: secs,
        warmupSeconds: 1,
        requests: [{ method: 'GET', path: '/', headers }],
        ...(withTls ? { tls } : {}),
      });
      const mk = (name: string, s: LoadSpec, ws0: Side['ws0'], pids: number[]): Side => ({ name, http: series(), ws: series(), spec: s, ws0, pids });
      const origin = `https://${ROUTE_HOST}:${broker.port}`;
      const a = mk('broker', spec(broker.url, { host: ROUTE_HOST, cookie }, true), { url: `wss://127.0.0.1:${broker.port}/ws`, host: ROUTE_HOST, origin, cookie, tls }, [broker.proc.pid!]);
      const b = nginx ? mk('nginx', spec(nginx.url, {}, true), { url: `wss://127.0.0.1:${nginx.port}/ws`, tls }, [nginx.proc.pid!]) : null;
      const c = mk('direct', spec(upstreamUrl, {}, false), { url: `ws://127.0.0.1:${upPort}/ws` }, [upstream.proc.pid!]);
      const d = mk('bare Node mTLS proxy', spec(ceiling.url, {}, true), c.ws0, [ceiling.proc.pid!]);
      const a1 = single && mk('broker, 1 process', spec(single.url, { host: ROUTE_HOST, cookie }, true), a.ws0, [single.proc.pid!]);
      const sides = [a, ...(b ? [b] : []), c, d, ...(a1 ? [a1] : [])];

      log('broker: warming up every side (JIT, pools), not recorded');
      for (const s of sides) await httpLoad({ ...s.spec, seconds: 2, warmupSeconds: 0 }, s.pids);
      for (let r = 1; r <= rounds(); r++) {
        log(`broker round ${r}/${rounds()}`);
        const order = sides.map((_, i) => sides[(i + r - 1) % sides.length]!);
        for (const s of order) await measureHttp(s);
        for (const s of order) if (s !== d && s !== a1) await measureWs(s);
      }

      log(`broker: revocation with live connections across ${workers} process(es) (revokes the benchmark certificate)`);
      const rev = await revocationCheck(f, broker.port, session.token);
      log(`  ${rev.connections} live connections closed ${rev.closedWithinMs} ms after revokedAt; new connection refused: ${rev.refusedAfter}`);
      if (!rev.refusedAfter) throw new Error('after revocation a new connection was NOT refused');

      const nb = b ?? mk('nginx (missing)', c.spec, c.ws0, []);
      const diff = (x: number[], y: number[]) => x.map((v, i) => v - (y[i] ?? NaN));
      const side = (s: Side, name: string) => ({ name, ...s.http });
      const rows = [
        row({ operation: 'HTTP GET 1 KiB via mTLS proxy, 32 keep-alive conns', unit: 'req/s', gatehouse: side(a, 'gatehouse broker'), peer: b && side(b, 'nginx mTLS proxy'), target: { ratio: 0.6 } }),
        ...(a1 ? [row({ operation: 'same, broker as ONE process (nginx: one worker per core)', unit: 'req/s', gatehouse: side(a1, 'gatehouse broker, 1 process'), peer: b && side(b, 'nginx mTLS proxy'), target: { ratio: 0.6 } })] : []),
        row({ operation: 'added p50 over nginx (broker p50 - nginx p50, per round)', unit: 'ms', higherIsBetter: false, gatehouse: b && { name: 'broker - nginx', values: diff(a.http.p50, nb.http.p50) }, peer: null, target: { max: 1 } }),
        row({ operation: 'added p50 over the upstream directly', unit: 'ms', higherIsBetter: false, gatehouse: { name: 'broker - direct', values: diff(a.http.p50, c.http.p50) }, peer: b && { name: 'nginx - direct', values: diff(nb.http.p50, c.http.p50) } }),
        row({ operation: 'proxy CPU per request (whole process tree)', unit: 'ms', higherIsBetter: false, gatehouse: { name: 'gatehouse broker', values: a.http.cpu }, peer: b && { name: 'nginx master + workers', values: nb.http.cpu } }),
        row({ operation: 'proxy CPU per request vs a bare Node mTLS proxy (https + undici, no checks)', unit: 'ms', higherIsBetter: false, gatehouse: { name: 'gatehouse broker', values: a.http.cpu }, peer: { name: 'bare Node proxy', values: d.http.cpu } }),
        row({ operation: 'proxied vs direct upstream (same generator)', unit: 'req/s', gatehouse: side(a, 'gatehouse broker'), peer: side(c, 'upstream directly (plain HTTP)') }),
        row({ operation: 'WebSocket echo round trip, 1 KiB, one socket (p50)', unit: 'ms', higherIsBetter: false, gatehouse: { name: 'via broker', ...a.ws }, peer: b && { name: 'via nginx', ...nb.ws } }),
        row({ operation: `revocation -> all live connections closed (${workers} broker processes)`, unit: 'ms', higherIsBetter: false, gatehouse: { name: `${rev.connections} connections (HTTP keep-alive + WebSocket)`, values: [rev.closedWithinMs] }, peer: null, target: { max: 2000 } }),
        row({ operation: 'WebSocket added p50 over direct', unit: 'ms', higherIsBetter: false, gatehouse: { name: 'broker - direct', values: diff(a.ws.p50, c.ws.p50) }, peer: b && { name: 'nginx - direct', values: diff(nb.ws.p50, c.ws.p50) } }),
      ];
      const limits: Limit[] = [
        { name: 'upstream directly, plain HTTP, same load generator (ceiling for any proxy)', value: summarize(c.http.values), unit: 'req/s' },
        { name: 'upstream CPU per request', value: summarize(c.http.cpu), unit: 'ms' },
        { name: 'bare Node mTLS proxy (ceiling-proxy.ts)', value: summarize(d.http.values), unit: 'req/s' },
        { name: 'WebSocket echo directly (p50)', value: summarize(c.ws.p50), unit: 'ms' },
      ];
      notes.push(`direct upstream p50/p99 ${fmt(summarize(c.http.p50).median)} / ${fmt(summarize(c.http.p99).median)} ms; when nginx and the broker both come close to ~half the direct figure, the load generator (one core of two) is the limit and the ratio is compressed: trust CPU per request`);
      notes.push(`load: autocannon 8 in a separate process, ${CONC} keep-alive connections, pipelining 1, ${secs} s per run after 1 s warm-up; latency from each response's own timer (sub-ms), not autocannon's 1 ms histogram`);
      notes.push(`broker: broker.workers = ${workers} (worker processes sharing the listener through node:cluster, forked by \`gatehouse serve\`; BENCH_BROKER_WORKERS, default = cores), nginx: worker_processes auto`);
      notes.push('broker: `gatehouse serve --role broker`, SQLite, request audit mode "summary" (the default), live revocation check per request (answers reused <= revocationCacheMs, events invalidate), session bound to the certificate, ES256 assertion; nginx: worker_processes auto, ssl_verify_client on, upstream keepalive 64');
      notes.push('added p50 at a closed loop of 32 connections is mostly queueing (p50 ~ 32 / throughput, Little\'s law): it follows the throughput ratio; the unloaded per-hop latency is the WebSocket round trip rows');
      notes.push('session: made with the broker\'s SessionService as the OIDC callback + TOTP verification do (no IdP contacted); cookie = its console-host token');
      return { rows, limits, notes };
    } finally {
      await stopAll();
      sc.cleanup();
    }
  },
};
export default bench;
