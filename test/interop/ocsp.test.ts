/**
 * OCSP responder against `openssl ocsp` over POST (RFC 6960 App. A): nonce (default) and
 * -no_nonce, revocation visible at once through the pre-signed cache, unknown serial, unknown
 * issuer (unauthorized), too many CertIDs (malformedRequest), store unavailable (tryLater).
 * Real CaService from test/helpers/pki.ts on SQLite or PostgreSQL (GATEHOUSE_TEST_DB=pg).
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { requireTool } from '../helpers/tools.ts';
import { liveEnv, run, type LiveEnv } from '../unit/ca/ocsp/env.ts';

const openssl = (t: TestContext) => requireTool(t, 'openssl', 'openssl');

describe('OCSP interop: openssl ocsp over POST', () => {
  let env: LiveEnv;
  before(async () => {
    env = await liveEnv();
  });
  after(async () => {
    await env.close();
  });

  it('openssl POST with a nonce (default): good, nonce echoed, signature verified', async (t) => {
    if (!openssl(t)) return;
    const leaf = await env.leafPem('dev-nonce');
    const r = await run('openssl', env.ocspArgs(leaf.path, '-resp_text'));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /dev-nonce\.pem: good/);
    assert.match(r.out, /Response verify OK/);
    assert.match(r.out, /OCSP Nonce/);
    assert.match(r.out, /ecdsa-with-SHA256/);
    assert.match(r.out, /OCSP Signing/);
  });

  it('openssl POST -no_nonce: good from the pre-signed cache, verified', async (t) => {
    if (!openssl(t)) return;
    const leaf = await env.leafPem('dev-nononce');
    for (let i = 0; i < 2; i++) {
      const r = await run('openssl', env.ocspArgs(leaf.path, '-no_nonce', '-resp_text'));
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /dev-nononce\.pem: good/);
      assert.match(r.out, /Response verify OK/);
      assert.doesNotMatch(r.out, /OCSP Nonce/);
    }
  });

  it('revocation invalidates the cache at once: good, revoke, revoked with keyCompromise (no nonce)', async (t) => {
    if (!openssl(t)) return;
    const leaf = await env.leafPem('dev-revoked');
    assert.match((await run('openssl', env.ocspArgs(leaf.path, '-no_nonce'))).out, /dev-revoked\.pem: good/);
    await env.pki.ca.revoke(leaf.serial, 'keyCompromise', { actor: 'test' });
    const r = await run('openssl', env.ocspArgs(leaf.path, '-no_nonce'));
    assert.match(r.out, /dev-revoked\.pem: revoked/);
    assert.match(r.out, /Reason: keyCompromise/);
    assert.match(r.out, /Revocation Time: /);
    assert.match(r.out, /Response verify OK/);
  });

  it('unknown serial -> unknown; unknown issuer -> unauthorized', async (t) => {
    if (!openssl(t)) return;
    const unknown = await run('openssl', [
      'ocsp',
      '-issuer',
      env.f('issuing.pem'),
      '-serial',
      '0x7a6b5c4d3e2f1',
      '-url',
      env.url,
      '-CAfile',
      env.f('chain.pem'),
    ]);
    assert.match(unknown.out, /0x7a6b5c4d3e2f1: unknown/);
    assert.match(unknown.out, /Response verify OK/);
    const foreign = await run('openssl', [
      'ocsp',
      '-issuer',
      env.f('root.pem'),
      '-serial',
      '0x1',
      '-url',
      env.url,
      '-CAfile',
      env.f('chain.pem'),
    ]);
    assert.match(foreign.out, /Responder Error: unauthorized \(6\)/i);
  });

  it('too many CertIDs -> malformedRequest', async (t) => {
    if (!openssl(t)) return;
    const serials = Array.from({ length: 11 }, (_, i) => ['-serial', `0x${(i + 1).toString(16)}`]).flat();
    const r = await run('openssl', [
      'ocsp',
      '-issuer',
      env.f('issuing.pem'),
      ...serials,
      '-url',
      env.url,
      '-CAfile',
      env.f('chain.pem'),
    ]);
    assert.match(r.out, /Responder Error: malformedrequest \(1\)/i);
    const ok = await run('openssl', [
      'ocsp',
      '-issuer',
      env.f('issuing.pem'),
      ...serials.slice(0, 20),
      '-url',
      env.url,
      '-CAfile',
      env.f('chain.pem'),
    ]);
    assert.match(ok.out, /0xa: unknown/);
  });

  it('store unavailable (table dropped) -> tryLater, never good', async (t) => {
    if (!openssl(t)) return;
    const leaf = await env.leafPem('dev-store-down');
    await env.pki.db.schema.dropTable('ca_certificates');
    for (const extra of [[], ['-no_nonce']]) {
      const r = await run('openssl', env.ocspArgs(leaf.path, ...extra));
      assert.match(r.out, /Responder Error: trylater \(3\)/i);
      assert.doesNotMatch(r.out, /: good/);
    }
  });
});
