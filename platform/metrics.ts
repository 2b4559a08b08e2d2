/**
 * Prometheus metrics (prom-client). One registry per process, passed to each part; each part
 * registers its own counters with the `gatehouse_` prefix. Served on the admin listener.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
