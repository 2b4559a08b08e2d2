/**
 * Our own small HTTP load generator (engine 'node' of load-child.ts), for servers that close
 * the connection after every answer: `openssl ocsp -port` speaks HTTP/1.0 without keep-alive,
 * and autocannon then writes the next request onto the closing socket and reconnects late
 * (measured here: ~430 answers/s where wrk reaches ~2,850/s on the same responder).
 *
 * How: `connections` independent loops over raw sockets (net, or tls with a client certificate);
 * each writes one prebuilt request, reads exactly one response (status line, headers,
 * Content-Length body), and reuses the socket only when the server keeps it alive (HTTP/1.1
 * without `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`); otherwise it opens a
 * new one, sending the request at once (never a bare connect: that wedges openssl's responder).
 * Latency = write of the request (or connect, for a new socket) to the end of the body.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
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

interface Answer {
  status: number;
  keepAlive: boolean;
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

/** Reads one HTTP response from `sock`; resolves when its body is complete. */
function readAnswer(sock: Socket, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (e: Error | null, a?: Answer) => {
      clearTimeout(t);
      sock.off('data', onData).off('close', onClose).off('error', onClose);
      if (e) reject(e);
      else resolve(a!);
    };
    const onData = (c: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      if (!Number.isFinite(len)) return done(new Error('response without Content-Length'));
      if (buf.length < end + 4 + len) return;
      const conn = /\r\nconnection:\s*([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
      const http11 = head.startsWith('HTTP/1.1');
      done(null, { status: Number(head.slice(9, 12)), keepAlive: http11 ? conn !== 'close' : conn === 'keep-alive' });
    };
    const onClose = () => done(new Error('connection closed before the answer'));
    const t = setTimeout(() => done(Object.assign(new Error('timeout'), { timeout: true })), timeoutMs);
    sock.on('data', onData).once('close', onClose).once('error', onClose);
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
      const answer = readAnswer(s, timeoutMs);
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
