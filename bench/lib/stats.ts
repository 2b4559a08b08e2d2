/**
 * Statistics for benchmark rounds: median with min–max over rounds, nearest-rank percentiles of
 * latency samples, and per-round ratios of two sides measured back to back.
 *
 * How: every benchmark runs A (Gatehouse) and B (peer) alternately, round after round, on the
 * same machine; ratio() pairs round i of A with round i of B (adjacent in time, so they saw about
 * the same background load) and reports the median and min–max of those paired ratios.
 * runFigures() turns one load child's counted run into the rate and percentiles it prints.
 * Nothing here measures anything by itself.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** The values in the order they were measured (round 1, 2, ...). */
  values: number[];
}

/** Median (mean of the two middle values for an even count) and min–max; NaN when empty. */
export function summarize(values: readonly number[]): Summary {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, values: [...values] };
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, values: [...values] };
}

/** Nearest-rank percentile (0 < q <= 1) of an ascending array. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1));
  return sorted[i]!;
}

/**
 * Paired ratios a[i]/b[i] (or b[i]/a[i] when lower is better), so that > 1 always means
 * "Gatehouse (a) is better". Rounds missing on either side are skipped.
 */
export function ratio(a: readonly number[], b: readonly number[], higherIsBetter = true): Summary | null {
  const r: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!(x > 0) || !(y > 0)) continue;
    r.push(higherIsBetter ? x / y : y / x);
  }
  return r.length ? summarize(r) : null;
}

/** Latency samples in ms (a few hundred thousand per run at most), percentiles on demand. */
export class LatencyRecorder {
  private samples = new Float64Array(1 << 16);
  count = 0;

  record(ms: number): void {
    if (this.count === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.count++] = ms;
  }

  /** Nearest-rank percentile in ms. */
  percentile(q: number): number {
    return percentile(this.samples.subarray(0, this.count).slice().sort(), q);
  }
}

/**
 * The rate and latency figures a load child prints (lib/load.ts LoadResult) for a run counted
 * with a LatencyRecorder: ok/s over the run, ok also with the warm-up (for server CPU per
 * operation), p50/p99 in ms rounded to 0.01 ms.
 */
export function runFigures(r: { ok: number; seconds: number; latency: LatencyRecorder }, warm: { ok: number } | null) {
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    rps: r.ok / r.seconds,
    ok: r.ok,
    okTotal: r.ok + (warm?.ok ?? 0),
    p50: round(r.latency.percentile(0.5)),
    p99: round(r.latency.percentile(0.99)),
  };
}

/** Formats a number for tables: 3 significant digits below 100, thousands separators above. */
export function fmt(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(digits)).toString();
}

/** "median (min–max)" */
export function fmtSummary(s: Summary | null | undefined, unit = ''): string {
  if (!s || !Number.isFinite(s.median)) return 'n/a';
  const u = unit ? ` ${unit}` : '';
  if (s.values.length <= 1 || s.min === s.max) return `${fmt(s.median)}${u}`;
  return `${fmt(s.median)}${u} (${fmt(s.min)}–${fmt(s.max)})`;
}
