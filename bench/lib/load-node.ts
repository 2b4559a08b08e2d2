/**
 * Our own small HTTP load generator (engine 'node' of load-child.ts), for servers that close
 * the connection after every answer: `openssl ocsp -port` speaks HTTP/1.0 without keep-alive,
 * and autocannon then writes the next request onto the closing socket and reconnects late
 * (measured here: ~430 answers/s where wrk reaches ~2,850/s on the same responder).
 *
 * How: `connections` independent loops over raw sockets (net, or tls with a client certificate);
 * each writes one prebuilt request, reads exactly one response (http-answer.ts: status line,
 * headers, Content-Length body; a chunked one is an error), and reuses the socket only when the
 * server keeps it alive (HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `Connection:
 * keep-alive`); otherwise it opens a new one, sending the request at once (never a bare
 * connect: that wedges openssl's responder).
 * Latency = write of the request (or connect, for a new socket) to the end of the body.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readAnswer } from './http-answer.ts';
import type { LoadSpec } from './load.ts';
import { LatencyRecorder } from './stats.ts';

export interface NodeLoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  latency: LatencyRecorder;
}

function buildRequests(spec: LoadSpec): Buffer[] {
  const host = new URL(spec.url).host;
  return spec.requests.map((r) => {
    const body = r.body64 !== undefined ? Buffer.from(r.body64, 'base64') : null;
    const lines = [`${r.method} ${r.path} HTTP/1.1`, `Host: ${host}`, ...Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
    if (body) lines.push(`Content-Length: ${body.length}`);
    const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
    return body ? Buffer.concat([head, body]) : head;
  });
}

export async function nodeLoad(spec: LoadSpec, seconds: number, record: boolean): Promise<NodeLoadResult> {
  const u = new URL(spec.url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const reqs = buildRequests(spec);
  const timeoutMs = (spec.timeout ?? 10) * 1000;
  const latency = new LatencyRecorder();
  const res: NodeLoadResult = { ok: 0, non2xx: 0, errors: 0, timeouts: 0, seconds: 0, latency };
  const open = (): Socket => {
    const s: Socket = spec.tls
      ? tlsConnect({ host: u.hostname, port, servername: spec.tls.servername ?? 'localhost', cert: spec.tls.certPem, key: spec.tls.keyPem, rejectUnauthorized: false })
      : netConnect({ host: u.hostname, port });
    s.setNoDelay(true);
    s.on('error', () => undefined); // reported through readAnswer
    return s;
  };
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const loop = async (slot: number) => {
    let sock: Socket | null = null;
    let i = slot % reqs.length;
    while (performance.now() < end) {
      const start = performance.now();
      sock ??= open();
      const s = sock;
      const answer = readAnswer(s, timeoutMs, { chunked: false, keepAlive10: true });
      s.write(reqs[i]!);
      i = (i + 1) % reqs.length;
      try {
        const a = await answer;
        if (performance.now() > end) break; // answered after the deadline: not counted
        if (a.status >= 200 && a.status < 300) res.ok++;
        else res.non2xx++;
        if (record) latency.record(performance.now() - start);
        if (!a.keepAlive) {
          s.destroy();
          sock = null;
        }
      } catch (e) {
        if ((e as { timeout?: boolean }).timeout) res.timeouts++;
        else res.errors++;
        s.destroy();
        sock = null;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    sock?.destroy();
  };
  await Promise.all(Array.from({ length: spec.connections }, (_, n) => loop(n)));
  res.seconds = Math.min(performance.now(), end) / 1000 - t0 / 1000;
  return res;
}
