/**
 * HTTP load from a SEPARATE process (the server under test never shares an event loop with its
 * load generator; both still share the machine's cores, which every table states).
 *
 * How: runLoad() starts bench/lib/load-child.ts (autocannon 8, programmatic) with a JSON spec:
 * URL, connections (keep-alive), duration, one body or a list of requests that each connection
 * cycles through (binary bodies travel base64), optional client certificate (mutual TLS), and an
 * optional warm-up run whose figures are discarded. Returns successful responses/s (2xx count /
 * duration), p50/p99 latency in ms, and every error kind, so a run that returned errors is never
 * silently reported as throughput.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runJson, type Wrap } from './proc.ts';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** base64 of the body bytes */
  body64?: string;
}

export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  warmupSeconds?: number;
  requests: LoadRequest[];
  tls?: { certPem: string; keyPem: string; caPem?: string; servername?: string };
  /** Per-request timeout in seconds (autocannon default 10). */
  timeout?: number;
  /** autocannon (default), or our generator for servers that close after each answer (load-node.ts). */
  engine?: 'autocannon' | 'node';
  /**
   * autocannon: p50/p99 from every 2xx response's own timer (sub-millisecond) instead of its
   * histogram of whole milliseconds; for targets like "<= 1 ms added p50".
   */
  fineLatency?: boolean;
}

export interface LoadResult {
  rps: number;
  ok: number;
  /** 2xx answers including the warm-up (for server CPU per request). */
  okTotal: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

const CHILD = join(import.meta.dirname, 'load-child.ts');

/**
 * Runs the load; with `serverPid`, also the server's CPU time (all threads, /proc/<pid>/stat)
 * over the whole run divided by every 2xx answer, warm-up included: CPU ms per request, a figure
 * far less sensitive to the machine's background load than requests/s.
 */
export async function runLoad(spec: LoadSpec, wrap?: Wrap, serverPid?: number): Promise<LoadResult & { cpuMsPerOp: number }> {
  const c0 = serverPid ? procCpuMs(serverPid) : NaN;
  const r = await runJson<LoadResult>(CHILD, [JSON.stringify(spec)], {
    ...(wrap ? { wrap } : {}),
    timeoutMs: (spec.seconds + (spec.warmupSeconds ?? 0) + 60) * 1000,
  });
  const c1 = serverPid ? procCpuMs(serverPid) : NaN;
  return { ...r, cpuMsPerOp: (c1 - c0) / r.okTotal };
}

/** utime + stime of a process (every thread) in ms, from /proc/<pid>/stat; NaN if unreadable. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}
const CLK_TCK = 100;

/**
 * Throws when a run had failures worth stopping for: any answer that is not 2xx or timed out
 * beyond 1% of the successes, or connection errors beyond `maxErrorShare` (default 1%; a server
 * that closes connections under load, like `openssl ocsp -port`, gets more and has them reported).
 */
export function checkLoad(what: string, r: LoadResult, maxErrorShare = 0.01): LoadResult {
  if (r.ok === 0 || r.non2xx + r.timeouts > r.ok / 100 || r.errors > r.ok * maxErrorShare)
    throw new Error(`${what}: ${r.ok} ok, ${r.non2xx} non-2xx, ${r.errors} connection errors, ${r.timeouts} timeouts`);
  return r;
}

/** "12,345/s p50 1.2 ms p99 3.4 ms" for progress logs. */
export const describeLoad = (r: LoadResult & { cpuMsPerOp?: number }): string =>
  `${Math.round(r.rps).toLocaleString('en-US')}/s p50 ${r.p50} ms p99 ${r.p99} ms${r.cpuMsPerOp ? `, server CPU ${r.cpuMsPerOp.toFixed(3)} ms/req` : ''}${r.non2xx + r.errors + r.timeouts ? ` (non2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})` : ''}`;
