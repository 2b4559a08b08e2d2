/**
 * Prometheus metrics (prom-client). One registry per process, passed to each part; each part
 * registers its own counters with the `gatehouse_` prefix. Served on the admin listener.
 * Processes forked with node:cluster (broker.workers) answer their primary's metrics requests
 * over IPC (answerMetricsRequests); the primary serves its own registry and theirs aggregated
 * the way prom-client aggregates clusters (counters summed), so one scrape sees every process.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

export function createMetrics(defaults = true): Registry {
  const r = new Registry();
  if (defaults) collectDefaultMetrics({ register: r, prefix: 'gatehouse_process_' });
  return r;
}

/** Returns the existing metric of that name, or registers a new one (safe to call twice). */
export function counter(reg: Registry, name: string, help: string, labelNames: string[] = []): Counter<string> {
  return (reg.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames, registers: [reg] });
}
export function gauge(reg: Registry, name: string, help: string, labelNames: string[] = []): Gauge<string> {
  return (reg.getSingleMetric(name) as Gauge<string>) ?? new Gauge({ name, help, labelNames, registers: [reg] });
}
export function histogram(reg: Registry, name: string, help: string, labelNames: string[] = [], buckets?: number[]): Histogram<string> {
  return (
    (reg.getSingleMetric(name) as Histogram<string>) ??
    new Histogram({ name, help, labelNames, registers: [reg], ...(buckets ? { buckets } : {}) })
  );
}

export interface Tally {
  inc(n?: number): void;
}

interface Cell extends Tally {
  labels: Record<string, string>;
  n: number;
}

/**
 * Counts per label set, pushed into a prom-client Counter at scrape time, so a hot path (a
 * RADIUS datagram, a proxied request) bumps a plain number instead of hashing labels. When the
 * registry already has the metric (a second instance in one process, tests) this one only
 * counts locally. Keep the Tally that cell() returns: cell() itself joins the label values.
 */
export class LazyCounter {
  readonly #cells = new Map<string, Cell>();
  constructor(
    reg: Registry | undefined,
    name: string,
    help: string,
    private readonly labelNames: string[],
  ) {
    if (!reg || reg.getSingleMetric(name)) return;
    const cells = this.#cells;
    new Counter({
      name,
      help,
      labelNames,
      registers: [reg],
      collect(this: Counter<string>) {
        for (const c of cells.values()) {
          if (c.n) this.inc(c.labels, c.n);
          c.n = 0;
        }
      },
    });
  }

  cell(...values: string[]): Cell {
    const key = values.join('|');
    let c = this.#cells.get(key);
    if (!c) {
      const labels = Object.fromEntries(this.labelNames.map((l, i) => [l, values[i] ?? '']));
      const cell: Cell = { labels, n: 0, inc: (k = 1) => void (cell.n += k) };
      c = cell;
      this.#cells.set(key, cell);
    }
    return c;
  }
}

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];
const METRICS_REQ = 'gatehouse:metrics-req';
const METRICS_RES = 'gatehouse:metrics-res';

/** In a node:cluster worker: answer the primary's metrics requests with `reg`. Returns the off switch. */
export function answerMetricsRequests(reg: Registry): () => void {
  const on = (m: unknown): void => {
    if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== METRICS_REQ || !process.send) return;
    const id = (m as { id?: unknown }).id;
    const reply = (metrics: MetricsJson) => void process.send?.({ type: METRICS_RES, id, metrics });
    reg.getMetricsAsJSON().then(reply, () => reply([]));
  };
  process.on('message', on);
  return () => void process.off('message', on);
}

/** A cluster worker seen from the primary (node:cluster Worker). */
export interface MetricsPeer {
  send(message: unknown): boolean;
  on(event: 'message', fn: (message: unknown) => void): unknown;
  off(event: 'message', fn: (message: unknown) => void): unknown;
}

let nextRequest = 1;

function askPeer(p: MetricsPeer, timeoutMs: number): Promise<MetricsJson | null> {
  const id = nextRequest++;
  return new Promise((resolve) => {
    const done = (v: MetricsJson | null): void => {
      clearTimeout(timer);
      p.off('message', on);
      resolve(v);
    };
    const on = (m: unknown): void => {
      const r = m as { type?: unknown; id?: unknown; metrics?: unknown };
      if (r && r.type === METRICS_RES && r.id === id) done(Array.isArray(r.metrics) ? (r.metrics as MetricsJson) : null);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    p.on('message', on);
    try {
      p.send({ type: METRICS_REQ, id });
    } catch {
      done(null);
    }
  });
}

/**
 * `own` and every peer's registry in one exposition, aggregated as prom-client does for clusters;
 * a peer that does not answer within `timeoutMs` (dying, busy) is left out of this scrape.
 */
export async function aggregatedMetrics(own: Registry, peers: readonly MetricsPeer[], timeoutMs = 1_000): Promise<string> {
  const answers = await Promise.all(peers.map((p) => askPeer(p, timeoutMs)));
  const all = [await own.getMetricsAsJSON(), ...answers.filter((a): a is MetricsJson => a !== null)];
  return AggregatorRegistry.aggregate(all).metrics();
}
