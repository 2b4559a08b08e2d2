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
