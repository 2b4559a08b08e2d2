/**
 * A load engine for requests that can be sent ONCE each (enrollments: one-time tokens, SCEP
 * transactions), imported by the benchmarks' own load-generator children (bench/est, bench/scep).
 *
 * How: `connections` independent loops. Each takes the next request from the caller's
 * provider (null = the pre-made requests are used up: the run ends there and its duration is
 * measured up to that moment, flagged `exhausted`), writes it, reads exactly one HTTP/1.1
 * answer (status, headers, Content-Length body) and asks `check` whether it succeeded (an
 * enrollment refused with HTTP 200, like a SCEP CertRep FAILURE, is not a success).
 * Connections: `keepAlive` reuses the socket while the server keeps it open; otherwise every
 * request gets a NEW connection (TCP, or a full TLS handshake: the client never offers a
 * session, and `resumed` counts handshakes that resumed anyway, so a figure is never silently
 * inflated by resumption). Latency = connect (or write, on a reused socket) to end of body.
 * A request answered after the deadline is not counted.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { LatencyRecorder } from './stats.ts';

export interface Answer {
  status: number;
  headers: string;
  body: Buffer;
  keepAlive: boolean;
}

export interface OnceTls {
  caPem: string;
  servername: string;
  certPem?: string;
  keyPem?: string;
}

export interface OnceLoadOptions {
  host: string;
  port: number;
  connections: number;
  seconds: number;
  keepAlive: boolean;
  tls?: OnceTls;
  timeoutMs?: number;
  /** The next request's bytes for this (connected) socket; null when none are left. */
  next(sock: Socket): Buffer | null;
  check(a: Answer): boolean;
  record?: boolean;
}

export interface OnceLoadResult {
  ok: number;
  failed: number;
  errors: number;
  timeouts: number;
  resumed: number;
  exhausted: boolean;
  seconds: number;
  firstFailure: string | null;
  latency: LatencyRecorder;
}

/** The body of a complete chunked encoding (RFC 9112 §7.1, no trailers), or null if incomplete. */
function dechunk(b: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(b.toString('latin1', at, eol), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    if (size === 0) return b.length >= eol + 4 ? Buffer.concat(parts) : null;
    if (b.length < eol + 2 + size + 2) return null;
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Reads one HTTP response from `sock`; resolves when its body is complete. */
export function readAnswer(sock: Socket, timeoutMs: number): Promise<Answer> {
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
      let body: Buffer | null;
      if (Number.isFinite(len)) body = buf.length < end + 4 + len ? null : buf.subarray(end + 4, end + 4 + len);
      else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        try {
          body = dechunk(buf.subarray(end + 4));
        } catch (e) {
          return done(e as Error);
        }
      }
      else return done(new Error(`answer without Content-Length or chunked body: ${head.slice(0, 200)}`));
      if (!body) return;
      const conn = /\r\nconnection:\s*([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
      done(null, { status: Number(head.slice(9, 12)), headers: head, body, keepAlive: head.startsWith('HTTP/1.1') && conn !== 'close' });
    };
    const onClose = () => done(new Error('connection closed before the answer'));
    const t = setTimeout(() => done(Object.assign(new Error('timeout'), { timeout: true })), timeoutMs);
    sock.on('data', onData).once('close', onClose).once('error', onClose);
  });
}

/** A connected socket (TCP, or TLS after its handshake: `secureConnect`). */
export function openSocket(host: string, port: number, tls: OnceTls | undefined, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s: Socket = tls
      ? tlsConnect({ host, port, servername: tls.servername, ca: tls.caPem, ...(tls.certPem ? { cert: tls.certPem, key: tls.keyPem } : {}) })
      : netConnect({ host, port });
    const t = setTimeout(() => fail(Object.assign(new Error('connect timeout'), { timeout: true })), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(t);
      s.destroy();
      reject(e);
    };
    s.once('error', fail);
    s.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(t);
      s.off('error', fail);
      s.on('error', () => undefined); // later errors surface through readAnswer
      s.setNoDelay(true);
      resolve(s);
    });
  });
}

export const isResumed = (s: Socket): boolean => typeof (s as TLSSocket).isSessionReused === 'function' && (s as TLSSocket).isSessionReused();

export async function onceLoad(o: OnceLoadOptions): Promise<OnceLoadResult> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const res: OnceLoadResult = { ok: 0, failed: 0, errors: 0, timeouts: 0, resumed: 0, exhausted: false, seconds: 0, firstFailure: null, latency: new LatencyRecorder() };
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  let stopAt = end;
  const failure = (what: string) => {
    res.firstFailure ??= what.slice(0, 300);
  };
  const loop = async () => {
    let sock: Socket | null = null;
    while (performance.now() < stopAt) {
      const start = performance.now();
      try {
        if (!sock) {
          sock = await openSocket(o.host, o.port, o.tls, timeoutMs);
          if (isResumed(sock)) res.resumed++;
        }
        const req = o.next(sock);
        if (!req) {
          if (!res.exhausted) stopAt = Math.min(stopAt, performance.now());
          res.exhausted = true;
          break;
        }
        const s = sock;
        const answer = readAnswer(s, timeoutMs);
        s.write(req);
        const a = await answer;
        if (performance.now() > stopAt) break; // after the deadline: not counted
        if (a.status >= 200 && a.status < 300 && o.check(a)) res.ok++;
        else {
          res.failed++;
          failure(`HTTP ${a.status} ${a.body.toString('latin1', 0, 200)}`);
        }
        if (o.record !== false) res.latency.record(performance.now() - start);
        if (!o.keepAlive || !a.keepAlive) {
          s.destroy();
          sock = null;
        }
      } catch (e) {
        if ((e as { timeout?: boolean }).timeout) res.timeouts++;
        else res.errors++;
        failure((e as Error).message);
        sock?.destroy();
        sock = null;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    sock?.destroy();
  };
  await Promise.all(Array.from({ length: o.connections }, () => loop()));
  res.seconds = (Math.min(performance.now(), stopAt) - t0) / 1000;
  return res;
}
