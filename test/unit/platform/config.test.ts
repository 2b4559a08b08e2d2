import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig } from '../../../platform/config/index.ts';
import { isAppError } from '../../../platform/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'gh-cfg-'));

test('defaults are loopback and SQLite, frozen', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.http.host, '127.0.0.1');
  assert.equal(c.db.url, undefined);
  assert.ok(Object.isFrozen(c.http));
  assert.throws(() => {
    (c.http as { port: number }).port = 1;
  });
});

test('YAML file then environment overrides, snake to camel', () => {
  const f = join(dir, 'a.yaml');
  writeFileSync(f, 'http:\n  port: 8000\n  publicUrl: http://pki.example.test\nlog:\n  level: warn\n');
  const c = loadConfig({ file: f, env: { GATEHOUSE_HTTP__PORT: '8001', GATEHOUSE_CA__CRL__DEBOUNCE_MS: '5' } });
  assert.equal(c.http.port, 8001);
  assert.equal(c.http.publicUrl, 'http://pki.example.test');
  assert.equal(c.log.level, 'warn');
  assert.equal(c.ca.crl.debounceMs, 5);
  assert.equal(c.configFile, f);
});

test('boot fails naming the bad key', () => {
  const f = join(dir, 'b.yaml');
  writeFileSync(f, 'http:\n  port: "eighty"\nca:\n  crl:\n    validitySecondz: 1\n');
  try {
    loadConfig({ file: f, env: {} });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(isAppError(e, 'ERR_CONFIG'));
    assert.match(e.message, /http\.port/);
    assert.match(e.message, /ca\.crl/);
    assert.match(e.message, /validitySecondz/);
  }
});

test('invalid YAML and non-mapping documents are clear errors', () => {
  const f = join(dir, 'c.yaml');
  writeFileSync(f, 'http: [\n');
  assert.throws(() => loadConfig({ file: f, env: {} }), /not valid YAML/);
  writeFileSync(f, '- 1\n- 2\n');
  assert.throws(() => loadConfig({ file: f, env: {} }), /must be a mapping/);
});

test('secrets resolve from file and env and never print', () => {
  const sf = join(dir, 'pass');
  writeFileSync(sf, 'hunter2-but-longer\n');
  const c = loadConfig({ env: {}, overrides: { ca: { keyPassphrase: { file: sf } } } });
  assert.equal(c.ca.keyPassphrase?.reveal(), 'hunter2-but-longer');
  assert.doesNotMatch(JSON.stringify(c), /hunter2/);
  assert.doesNotMatch(inspect(c, { depth: 10 }), /hunter2/);
  assert.doesNotMatch(String(c.ca.keyPassphrase), /hunter2/);
  const c2 = loadConfig({ env: { MY_PASS: 'from-env-secret' }, overrides: { ca: { keyPassphrase: { env: 'MY_PASS' } } } });
  assert.equal(c2.ca.keyPassphrase?.reveal(), 'from-env-secret');
});

test('a missing secret fails boot naming the key, with no default', () => {
  assert.throws(
    () => loadConfig({ env: {}, overrides: { ca: { keyPassphrase: { env: 'NOPE_NOT_SET' } } } }),
    /ca\.keyPassphrase: environment variable NOPE_NOT_SET is not set/,
  );
  assert.throws(() => loadConfig({ env: {}, overrides: { ca: { keyPassphrase: { file: join(dir, 'missing') } } } }), /ca\.keyPassphrase: cannot read secret file/);
});
