/**
 * Measuring one side of the broker benchmark: HTTP load (lib/load-child.ts, sub-millisecond latency) and WebSocket echo
 * round trips (ws-child.ts), each in a separate process, plus the server side's CPU time.
 *
 * How: CPU per request = utime + stime of the server's whole process tree (nginx's master and
 * workers, a broker primary and its workers; /proc/<pid>/task/<tid>/children, recursively) over
 * the run, warm-up included, divided by every 2xx answer. A process that forks workers would
 * otherwise show only its idle master. The caller names the processes: the proxy alone for the
 * proxied sides (the upstream's share is the same behind both and is reported separately, from
 * the direct runs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { procCpuMs, type LoadResult, type LoadSpec } from '../lib/load.ts';
import { runJson } from '../lib/proc.ts';

const LOAD_CHILD = join(import.meta.dirname, '..', 'lib', 'load-child.ts');
const WS_CHILD = join(import.meta.dirname, 'ws-child.ts');

/** pid and every descendant (threads' children included). */
export function processTree(pid: number): number[] {
  const out = [pid];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let kids = '';
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.trim().split(/\s+/).filter(Boolean)) out.push(...processTree(Number(k)));
  }
  return out;
}

/** CPU ms of the trees rooted at `pids` (NaN if none is readable). */
export function treeCpuMs(pids: readonly number[]): number {
  let sum = 0;
  let any = false;
  for (const root of pids) {
    for (const p of processTree(root)) {
      const ms = procCpuMs(p);
      if (Number.isFinite(ms)) {
        sum += ms;
        any = true;
      }
    }
  }
  return any ? sum : NaN;
}

export async function httpLoad(spec: LoadSpec, serverPids: readonly number[]): Promise<LoadResult & { cpuMsPerOp: number }> {
  const c0 = treeCpuMs(serverPids);
  const r = await runJson<LoadResult>(LOAD_CHILD, [JSON.stringify({ ...spec, fineLatency: true })], { timeoutMs: (spec.seconds + (spec.warmupSeconds ?? 0) + 60) * 1000 });
  const c1 = treeCpuMs(serverPids);
  return { ...r, cpuMsPerOp: (c1 - c0) / r.okTotal };
}

export interface WsSpec {
  url: string;
  /** Host header and SNI (route host for the broker). */
  host?: string;
  origin?: string;
  cookie?: string;
  tls?: { certPem: string; keyPem: string; caPem: string; servername: string };
  /** Sequential round trips measured (after `warmup` unmeasured ones). */
  count: number;
  warmup: number;
  /** Message size in bytes. */
  bytes: number;
}

export interface WsResult {
  count: number;
  p50: number;
  p99: number;
  mean: number;
  /** round trips per second on the one socket */
  rps: number;
}

export function wsEcho(spec: WsSpec): Promise<WsResult> {
  return runJson<WsResult>(WS_CHILD, [JSON.stringify(spec)], { timeoutMs: 120_000 });
}
