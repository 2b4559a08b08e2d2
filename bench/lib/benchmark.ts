/**
 * The contract between bench/run.ts and one benchmark.
 *
 * A benchmark is a folder bench/<name>/ whose index.ts default-exports a Benchmark; run.ts finds
 * it by folder name (`npm run bench <name>`), so adding EST, SCEP, RADIUS or broker benchmarks is
 * adding a folder. run() sets up Gatehouse and the real peer itself, alternates them round by
 * round, stops every process it started (proc.ts tracks them), and returns rows built with
 * report.ts row(); the runner adds timing and the machine's load, prints the one table and writes
 * bench/results/<name>.json.
 *
 * A new benchmark, e.g. bench/est/index.ts:
 *   const bench: Benchmark = { name: 'est', title: 'EST simpleenroll ...', about: '...',
 *     async run(ctx) {
 *       const s = scratch('est');                 // lib/tools.ts: scratch dir, rounds(), seconds()
 *       try {
 *         // start Gatehouse (lib/gatehouse.ts serve()) and the peer (lib/proc.ts start()),
 *         // check one answer of each, then for r in 1..rounds(): A, B, A, B ...
 *         const a = series(); pushLoad(a, await runLoad(spec, undefined, pid));  // lib/load.ts
 *         return { rows: [row({ operation, unit, gatehouse: { name, ...a }, peer: ..., target })],
 *                  limits: issuanceLimits(await ctx.limits()), notes: [...] };
 *       } finally { await stopAll(); s.cleanup(); }
 *     } };
 *   export default bench;
 */
import type { Limits } from './limits.ts';
import type { MachineInfo } from './report.ts';
import type { Limit, Row } from './report.ts';

export interface BenchContext {
  machine: MachineInfo;
  /** Memoised physical limits (openssl speed, Node crypto.sign), measured on first call. */
  limits(): Promise<Limits>;
}

export interface BenchOutput {
  rows: Row[];
  limits: Limit[];
  notes: string[];
}

export interface Benchmark {
  name: string;
  title: string;
  /** One line for `npm run bench -- --list`. */
  about: string;
  run(ctx: BenchContext): Promise<BenchOutput>;
}

/** Per-round figures of one side: throughput, latency percentiles, server CPU per operation. */
export interface Series {
  values: number[];
  p50: number[];
  p99: number[];
  cpu: number[];
}

export const series = (): Series => ({ values: [], p50: [], p99: [], cpu: [] });

/** One side of a "server CPU per operation" row (report.ts row()): the series' per-round CPU. */
export const cpuSide = (name: string, s: Series): { name: string; values: number[] } => ({ name, values: s.cpu });

/** Appends one round (from runLoad() or a measuring child) to a series. */
export function pushLoad(s: Series, r: { rps: number; p50: number; p99: number; cpuMsPerOp: number }): void {
  s.values.push(r.rps);
  s.p50.push(r.p50);
  s.p99.push(r.p99);
  s.cpu.push(r.cpuMsPerOp);
}
