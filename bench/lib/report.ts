/**
 * One table per benchmark, and the same figures as JSON.
 *
 * How: a benchmark collects Rows (operation, Gatehouse side, peer side, paired ratio, target)
 * plus physical limits and notes; report() prints the table (medians with min–max over the
 * alternated rounds, p50/p99, ratio where > 1 always means Gatehouse is better), writes
 * bench/results/<name>.json and merges it into bench/results/latest.json so that the next run can
 * be compared with this one. The machine header (CPU, cores shared by servers and the load
 * generator, load average before and after — the machine is shared with other engineers' test
 * runs — Node and OpenSSL versions) is part of every result.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fmt, fmtSummary, ratio, summarize, type Summary } from './stats.ts';

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

export interface Side {
  /** Program measured (e.g. "gatehouse serve", "cfssl serve + sqlite certdb"). */
  name: string;
  value: Summary;
  p50?: Summary | null;
  p99?: Summary | null;
}

export interface Row {
  operation: string;
  unit: string;
  /** false for times and memory: the ratio is then peer / Gatehouse. */
  higherIsBetter: boolean;
  gatehouse: Side | null;
  peer: Side | null;
  ratio: Summary | null;
  /** e.g. ">= 3.0x" or "<= 10 s"; checked by `met`. */
  target?: string;
  met?: boolean | null;
  note?: string;
}

export interface Limit {
  name: string;
  value: Summary;
  unit: string;
}

export interface BenchResult {
  name: string;
  title: string;
  startedAt: string;
  seconds: number;
  machine: MachineInfo;
  rows: Row[];
  limits: Limit[];
  notes: string[];
}

/** A row from per-round values of both sides (same round count, alternated A B A B ...). */
export function row(o: {
  operation: string;
  unit: string;
  higherIsBetter?: boolean;
  gatehouse: { name: string; values: number[]; p50?: number[]; p99?: number[] } | null;
  peer: { name: string; values: number[]; p50?: number[]; p99?: number[] } | null;
  /** ratio: paired-ratio median at least; min / max: Gatehouse median at least / at most. */
  target?: { ratio?: number; min?: number; max?: number; label?: string };
  note?: string;
}): Row {
  const hib = o.higherIsBetter ?? true;
  const side = (s: typeof o.gatehouse): Side | null =>
    s && { name: s.name, value: summarize(s.values), p50: s.p50 ? summarize(s.p50) : null, p99: s.p99 ? summarize(s.p99) : null };
  const gh = side(o.gatehouse);
  const peer = side(o.peer);
  const r = gh && peer ? ratio(gh.value.values, peer.value.values, hib) : null;
  let met: boolean | null = null;
  let target: string | undefined;
  const t = o.target;
  if (t) {
    const parts: string[] = [];
    const checks: Array<boolean | null> = [];
    if (t.min !== undefined) {
      parts.push(`>= ${t.min.toLocaleString('en-US')} ${o.unit}`);
      checks.push(gh ? gh.value.median >= t.min : null);
    }
    if (t.max !== undefined) {
      parts.push(`<= ${t.max.toLocaleString('en-US')} ${o.unit}`);
      checks.push(gh ? gh.value.median <= t.max : null);
    }
    if (t.ratio !== undefined) {
      parts.push(`>= ${t.ratio}x`);
      checks.push(r ? r.median >= t.ratio : null);
    }
    target = t.label ?? parts.join(', ');
    met = checks.includes(false) ? false : checks.includes(null) ? null : true;
  }
  return { operation: o.operation, unit: o.unit, higherIsBetter: hib, gatehouse: gh, peer, ratio: r, ...(target ? { target, met } : {}), ...(o.note ? { note: o.note } : {}) };
}

const lat = (s: Side | null | undefined): string =>
  s?.p50 && s.p99 && Number.isFinite(s.p50.median) ? `${fmt(s.p50.median)} / ${fmt(s.p99.median)}` : '–';

/** Prints the table and writes the JSON; returns the path written. */
export function report(r: BenchResult): string {
  const head = ['operation', 'Gatehouse', 'peer', 'ratio (>1 = Gatehouse better)', 'p50/p99 ms GH', 'p50/p99 ms peer', 'target'];
  const lines = r.rows.map((x) => [
    `${x.operation} [${x.unit}]`,
    fmtSummary(x.gatehouse?.value),
    x.peer ? `${fmtSummary(x.peer.value)} — ${x.peer.name}` : '–',
    x.ratio ? `${fmtSummary(x.ratio)}x` : '–',
    lat(x.gatehouse),
    lat(x.peer),
    x.target ? `${x.target} ${x.met === null ? '?' : x.met ? 'MET' : 'MISSED'}` : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmtLine = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [
    '',
    `## ${r.title}`,
    machineLine(r.machine),
    fmtLine(head),
    fmtLine(widths.map((w) => '-'.repeat(w))),
    ...lines.map(fmtLine),
  ];
  for (const x of r.rows) if (x.note) out.push(`  * ${x.operation}: ${x.note}`);
  if (r.limits.length) out.push(`  physical limits: ${r.limits.map((l) => `${l.name} ${fmtSummary(l.value, l.unit)}`).join('; ')}`);
  for (const n of r.notes) out.push(`  note: ${n}`);
  out.push(`  (${r.seconds.toFixed(0)} s)`);
  console.log(out.join('\n'));

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${r.name}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  const latestFile = join(RESULTS_DIR, 'latest.json');
  let latest: Record<string, unknown> = {};
  try {
    latest = JSON.parse(readFileSync(latestFile, 'utf8')) as Record<string, unknown>;
  } catch {
    /* first run */
  }
  latest[r.name] = r;
  writeFileSync(latestFile, JSON.stringify(latest, null, 2) + '\n');
  return file;
}

export function machineLine(m: MachineInfo): string {
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  return (
    `machine: ${m.cpu}, ${m.cores} cores SHARED by the servers and the load generator (same split for both sides); ` +
    `load average ${la(m.loadBefore)} before, ${m.loadAfter ? la(m.loadAfter) : '?'} after` +
    `${m.loadBefore[0]! > m.cores ? ' — NOISY machine: compare ratios, not absolute figures' : ''}; ${m.node}, ${m.openssl}`
  );
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  loadBefore: number[];
  loadAfter?: number[];
  node: string;
  openssl: string;
  /** Stated with every table (BENCHMARKS.md). */
  sharing: string;
}

export function machineInfo(): MachineInfo {
  let openssl = `node's OpenSSL ${process.versions.openssl}`;
  try {
    openssl = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    /* no openssl binary: keep Node's */
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    loadBefore: loadavg(),
    node: `Node ${process.version}`,
    openssl,
    sharing: 'servers, peers and the load generator (a separate process) all share these cores',
  };
}

export function finishMachine(m: MachineInfo): MachineInfo {
  return { ...m, loadAfter: loadavg() };
}
