/**
 * Where the time goes: summarises V8 .cpuprofile files written by `node --cpu-prof` (the issuance
 * and OCSP benchmarks write them for Gatehouse's processes when BENCH_CPU_PROF=<dir> is set).
 *
 * How: sums the sampled self time per function (name + file:line) and per source area (the
 * repository folder, node_modules package, or "(native)/(gc)/(idle)"), and the time of samples
 * whose stack passes through a function matching a pattern (e.g. `commit`: time the thread spent
 * inside knex's COMMIT, i.e. blocked in SQLite's fsync). Run alone:
 *   node --import tsx bench/lib/cpuprofile-top.ts <file|dir> [top=25] [pattern...]
 * Idle samples are reported but excluded from the percentages, which are of busy time. The
 * profiler samples wall-clock time of the thread: a blocking native call (fsync) counts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = join(import.meta.dirname, '..', '..');

function area(url: string, fn: string): string {
  if (!url) return `(${fn || 'native'})`;
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + 13).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (p.startsWith('node:')) return p;
  const rel = relative(ROOT, p);
  return rel.startsWith('..') ? p : rel.split('/').slice(0, 2).join('/');
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  byFunction: Array<{ name: string; ms: number; pct: number }>;
  byArea: Array<{ name: string; ms: number; pct: number }>;
  /** per pattern: time of samples with a matching function anywhere on the stack */
  under: Array<{ name: string; ms: number; pct: number }>;
}

export function summarizeProfile(file: string, top = 25, patterns: string[] = []): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const res = patterns.map((x) => new RegExp(x));
  const under = new Map<string, number>();
  const onStack = (id: number, re: RegExp): boolean => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) if (re.test(byId.get(cur)!.callFrame.functionName)) return true;
    return false;
  };
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  const fn = new Map<string, number>();
  const ar = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    busy += ms;
    const url = cf.url ? area(cf.url, cf.functionName) + `:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${url}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const a = area(cf.url, cf.functionName);
    ar.set(a, (ar.get(a) ?? 0) + ms);
    for (const re of res) if (onStack(id, re)) under.set(re.source, (under.get(re.source) ?? 0) + ms);
  }
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), pct: Math.round((1000 * ms) / busy) / 10 }));
  return { file, busyMs: Math.round(busy), idleMs: Math.round(idle), byFunction: list(fn), byArea: list(ar), under: list(under) };
}

export function printProfile(s: ProfileSummary, top = 15): string {
  const lines = [`profile ${s.file}: busy ${s.busyMs} ms, idle ${s.idleMs} ms`];
  for (const u of s.under) lines.push(`  under /${u.name}/: ${u.ms} ms = ${u.pct}% of busy time`);
  lines.push('  by area:');
  for (const a of s.byArea.slice(0, top)) lines.push(`    ${String(a.pct).padStart(5)}%  ${a.name}`);
  lines.push('  by function (self time):');
  for (const f of s.byFunction.slice(0, top)) lines.push(`    ${String(f.pct).padStart(5)}%  ${f.name}`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const target = process.argv[2] ?? '.';
  const top = Number(process.argv[3] ?? 25);
  const patterns = process.argv.slice(4);
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(target, f))
    : [target];
  for (const f of files) console.log(printProfile(summarizeProfile(f, top, patterns), top));
}
