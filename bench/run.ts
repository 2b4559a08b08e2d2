/**
 * `npm run bench [names...]`: runs the named benchmarks (default: all) one after the other.
 * Never part of `npm test` (timed figures are flaky on shared machines; BENCHMARKS.md).
 *
 * How: every folder bench/<name>/ with an index.ts is a benchmark (lib/benchmark.ts). For each,
 * the runner records the machine (CPU, cores shared by servers and load generator, load average
 * before and after), runs it, prints its one table and writes bench/results/<name>.json (merged
 * into bench/results/latest.json). A failing benchmark is reported and the others still run; the
 * exit code is then 1. Every child process is stopped by PID on exit or Ctrl-C.
 * Environment: BENCH_ROUNDS (alternated rounds per side, default 3), BENCH_SECONDS (per load run),
 * BENCH_TMP / BENCH_KEEP=1 (scratch files), BENCH_NO_INSTALL=1 (never apt-get install peers).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, BenchContext } from './lib/benchmark.ts';
import { measureLimits } from './lib/limits.ts';
import { finishMachine, machineInfo } from './lib/report.ts';
import { killAllSync, log, stopAll } from './lib/proc.ts';
import { machineLine, report } from './lib/report.ts';

const HERE = import.meta.dirname;
const available = readdirSync(HERE)
  .filter((d) => d !== 'lib' && d !== 'results' && existsSync(join(HERE, d, 'index.ts')))
  .sort();

async function load(name: string): Promise<Benchmark> {
  const m = (await import(join(HERE, name, 'index.ts'))) as { default: Benchmark };
  return m.default;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--list') || args.includes('--help')) {
    for (const n of available) console.log(`${n.padEnd(12)} ${(await load(n)).about}`);
    console.log('\nusage: npm run bench [names...]   (env: BENCH_ROUNDS, BENCH_SECONDS, BENCH_TMP, BENCH_KEEP=1)');
    return 0;
  }
  const unknown = args.filter((a) => !available.includes(a));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
    return 2;
  }
  const names = args.length ? args : available;
  const start = machineInfo();
  console.log(`Gatehouse benchmarks: ${names.join(', ')}`);
  console.log(machineLine(start));
  const ctx0 = { limits: measureLimits };
  let failed = 0;
  for (const name of names) {
    const b = await load(name);
    const machine = machineInfo();
    const ctx: BenchContext = { ...ctx0, machine };
    const t0 = Date.now();
    log(`=== ${name}: ${b.about} (load ${machine.loadBefore.map((x) => x.toFixed(2)).join(' ')})`);
    try {
      const out = await b.run(ctx);
      const file = report({ name, title: b.title, startedAt: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000, machine: finishMachine(machine), ...out });
      log(`${name}: results in ${file}`);
    } catch (e) {
      failed++;
      console.error(`\n## ${b.title}: FAILED after ${((Date.now() - t0) / 1000).toFixed(0)} s\n${(e as Error).stack ?? String(e)}`);
    } finally {
      await stopAll();
    }
  }
  return failed ? 1 : 0;
}

process.once('SIGINT', () => {
  killAllSync();
  process.exit(130);
});
process.once('SIGTERM', () => {
  killAllSync();
  process.exit(143);
});
process.exitCode = await main().catch((e: unknown) => {
  console.error(e);
  return 1;
});
await stopAll();
