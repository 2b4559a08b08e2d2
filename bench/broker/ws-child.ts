/**
 * WebSocket echo round trips on ONE socket (a measuring child, started by measure.ts): opens the
 * socket with ws (a dependency already; client certificate, cookie and Origin when given), sends
 * `warmup` unmeasured messages, then `count` sequential ones, each waiting for its echo, and
 * prints one JSON line: p50 / p99 / mean round trip in ms and round trips per second.
 *
 * Rules: a message that does not come back identical, or an upgrade that is refused, fails the
 * run (non-zero exit with the reason) — a refused upgrade is never reported as a fast one.
 */
import WebSocket from 'ws';
import { LatencyRecorder } from '../lib/stats.ts';
import type { WsSpec } from './measure.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as WsSpec;
const headers: Record<string, string> = {};
if (spec.host) headers.host = spec.host;
if (spec.cookie) headers.cookie = spec.cookie;

const ws = new WebSocket(spec.url, {
  headers,
  ...(spec.origin ? { origin: spec.origin } : {}),
  ...(spec.tls ? { cert: spec.tls.certPem, key: spec.tls.keyPem, ca: spec.tls.caPem, servername: spec.tls.servername } : {}),
  handshakeTimeout: 10_000,
  perMessageDeflate: false,
});
ws.on('unexpected-response', (_req, res) => {
  console.error(`upgrade refused: HTTP ${res.statusCode}`);
  process.exit(1);
});
ws.on('error', (e) => {
  console.error(`websocket error: ${e.message}`);
  process.exit(1);
});
await new Promise((r) => ws.once('open', r));
ws.binaryType = 'nodebuffer';
const msg = Buffer.alloc(spec.bytes, 'w');

function once(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    ws.once('message', (data: Buffer) => {
      if (!Buffer.isBuffer(data) || !data.equals(msg)) return reject(new Error('echo differs from the message sent'));
      resolve(performance.now() - t0);
    });
    ws.send(msg, { binary: true });
  });
}

for (let i = 0; i < spec.warmup; i++) await once();
const lat = new LatencyRecorder();
const t0 = performance.now();
let sum = 0;
for (let i = 0; i < spec.count; i++) {
  const ms = await once();
  lat.record(ms);
  sum += ms;
}
const secs = (performance.now() - t0) / 1000;
ws.close();
const r3 = (x: number) => Math.round(x * 1000) / 1000;
console.log(JSON.stringify({ count: spec.count, p50: r3(lat.percentile(0.5)), p99: r3(lat.percentile(0.99)), mean: r3(sum / spec.count), rps: Math.round(spec.count / secs) }));
process.exit(0);
