/**
 * platform/metrics.ts LazyCounter: hot paths bump plain numbers, prom-client sees them at scrape
 * time with the right labels, and nothing is counted twice across scrapes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics, LazyCounter } from '../../../platform/metrics.ts';

const valueOf = async (reg: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>): Promise<number | undefined> => {
  const m = await reg.getSingleMetric(name)!.get();
  return m.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
};

test('a LazyCounter reports its cells at scrape time, once', async () => {
  const reg = createMetrics(false);
  const c = new LazyCounter(reg, 'gatehouse_test_decisions_total', 'test', ['route', 'outcome']);
  const allow = c.cell('cam-1', 'allow');
  allow.inc();
  allow.inc(2);
  c.cell('cam-1', 'deny').inc();
  assert.equal(c.cell('cam-1', 'allow'), allow, 'the same cell for the same labels');
  assert.equal(await valueOf(reg, 'gatehouse_test_decisions_total', { route: 'cam-1', outcome: 'allow' }), 3);
  assert.equal(await valueOf(reg, 'gatehouse_test_decisions_total', { route: 'cam-1', outcome: 'deny' }), 1);
  allow.inc();
  assert.equal(await valueOf(reg, 'gatehouse_test_decisions_total', { route: 'cam-1', outcome: 'allow' }), 4, 'a later scrape adds only what is new');
  assert.match(await reg.metrics(), /gatehouse_test_decisions_total\{route="cam-1",outcome="allow"\} 4/);
});

test('a second LazyCounter of the same name does not re-register (it counts locally)', () => {
  const reg = createMetrics(false);
  new LazyCounter(reg, 'gatehouse_test_twice_total', 'test', []).cell().inc();
  assert.doesNotThrow(() => new LazyCounter(reg, 'gatehouse_test_twice_total', 'test', []).cell().inc());
});

test('aggregatedMetrics sums the peers that answer and leaves out one that does not', async () => {
  const { EventEmitter } = await import('node:events');
  const { aggregatedMetrics, counter } = await import('../../../platform/metrics.ts');
  const registryWith = (n: number) => {
    const r = createMetrics(false);
    counter(r, 'gatehouse_test_sum_total', 'test', ['kind']).inc({ kind: 'a' }, n);
    return r;
  };
  const own = registryWith(1);
  const peerReg = registryWith(10);
  const emitter = new EventEmitter();
  const answering = Object.assign(emitter, {
    send(m: unknown) {
      const { id } = m as { id: number };
      void peerReg.getMetricsAsJSON().then((metrics) => emitter.emit('message', { type: 'gatehouse:metrics-res', id, metrics }));
      return true;
    },
  });
  const silent = Object.assign(new EventEmitter(), { send: () => true });
  const text = await aggregatedMetrics(own, [answering, silent], 50);
  assert.match(text, /^gatehouse_test_sum_total\{kind="a"\} 11$/m);
  assert.equal(answering.listenerCount('message') + silent.listenerCount('message'), 0, 'no listener left behind');
});
