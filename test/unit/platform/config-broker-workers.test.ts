/**
 * `broker.workers` (platform/config/sections/broker.ts): default 1, an integer >= 1 or 'auto',
 * from YAML and from GATEHOUSE_BROKER__WORKERS alike; anything else fails boot naming the key.
 * ('auto' becomes the number of cores in the composition root, cli/broker-workers.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../platform/config/index.ts';
import { isAppError } from '../../../platform/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'gh-cfg-workers-'));

test('broker.workers defaults to 1 (the broker runs inside the serve process)', () => {
  assert.equal(loadConfig({ env: {} }).broker.workers, 1);
});

test('broker.workers from YAML: a number or auto', () => {
  const f = join(dir, 'w.yaml');
  writeFileSync(f, 'broker:\n  workers: 4\n');
  assert.equal(loadConfig({ file: f, env: {} }).broker.workers, 4);
  writeFileSync(f, 'broker:\n  workers: auto\n');
  assert.equal(loadConfig({ file: f, env: {} }).broker.workers, 'auto');
});

test('GATEHOUSE_BROKER__WORKERS overrides the file (number or auto)', () => {
  const f = join(dir, 'e.yaml');
  writeFileSync(f, 'broker:\n  workers: 4\n');
  assert.equal(loadConfig({ file: f, env: { GATEHOUSE_BROKER__WORKERS: '2' } }).broker.workers, 2);
  assert.equal(loadConfig({ file: f, env: { GATEHOUSE_BROKER__WORKERS: 'auto' } }).broker.workers, 'auto');
});

test('anything else fails boot naming broker.workers', () => {
  for (const bad of ['0', '-1', '1.5', 'many', 'true', '[2]']) {
    assert.throws(
      () => loadConfig({ env: { GATEHOUSE_BROKER__WORKERS: bad } }),
      (e: unknown) => isAppError(e, 'ERR_CONFIG') && /broker\.workers/.test((e as Error).message),
      bad,
    );
  }
});
