/**
 * A load engine for requests that can be sent ONCE each (enrollments: one-time tokens, SCEP
 * transactions), imported by the benchmarks' own load-generator children (bench/est, bench/scep).
 *
 * How: `connections` independent loops. Each takes the next request from the caller's
 * provider (null = the pre-made requests are used up: the run ends there and its duration is
 * measured up to that moment, flagged `exhausted`), writes it, reads exactly one HTTP/1.1
 * answer (http-answer.ts: status, headers, Content-Length or chunked body) and asks `check`
 * whether it succeeded (an enrollment refused with HTTP 200, like a SCEP CertRep FAILURE, is
 * not a success).
 * Connections: `keepAlive` reuses the socket while the server keeps it open; otherwise every
 * request gets a NEW connection (TCP, or a full TLS handshake: the client never offers a
 * session, and `resumed` counts handshakes that resumed anyway, so a figure is never silently
 * inflated by resumption). Latency = connect (or write, on a reused socket) to end of body.
 * A request answered after the deadline is not counted. childOutput() gives the fields both load
 * children print (shaped like lib/load.ts LoadResult) from the measured run and its warm-up.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readAnswer, type Answer } from './http-answer.ts';
import { LatencyRecorder, runFigures } from './stats.ts';

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

/** A result with nothing counted yet (also for the EST child's bare-handshake loops). */
export const emptyResult = (): OnceLoadResult => ({ ok: 0, failed: 0, errors: 0, timeouts: 0, resumed: 0, exhausted: false, seconds: 0, firstFailure: null, latency: new LatencyRecorder() });

export async function onceLoad(o: OnceLoadOptions): Promise<OnceLoadResult> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const res = emptyResult();
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

/**
 * The fields the EST and SCEP load children both print: stats.ts runFigures() of the measured
 * run, its duration, and errors/timeouts/exhausted/first failure over the warm-up and the run
 * (the warm-up's first failure first).
 */
export function childOutput(r: OnceLoadResult, warm: OnceLoadResult | null) {
  return {
    ...runFigures(r, warm),
    errors: r.errors + (warm?.errors ?? 0),
    timeouts: r.timeouts + (warm?.timeouts ?? 0),
    seconds: r.seconds,
    exhausted: r.exhausted || Boolean(warm?.exhausted),
    firstFailure: warm?.firstFailure ?? r.firstFailure,
  };
}
