/** OcspResponder over a fake CA: the pre-signed cache, invalidation, refresh and responder renewal. */
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { AppError } from '../../../../platform/errors.ts';
import { buildRequest, good, idFor, revoked, signatureValid } from './helpers.ts';
import { fakeEnv, type FakeEnv } from './env.ts';

describe('OcspResponder (fake CA): pre-signed cache, invalidation, refresh, renewal', () => {
  let env: FakeEnv;
  beforeEach(() => {
    env = fakeEnv();
  });
  afterEach(() => {
    env.ocsp.stop();
    mock.timers.reset();
  });

  it('serves nonce-less single requests from the pre-signed cache with HTTP cache data', async () => {
    const first = await env.ocsp.respond(buildRequest({ certIds: [idFor(env.A, 0x1001)] }));
    const second = await env.ocsp.respond(buildRequest({ certIds: [idFor(env.A, 0x1001)] }));
    assert.equal(second.der, first.der, 'same Buffer: no re-signing');
    assert.equal(env.ca.statusCalls, 1);
    assert.equal(second.cacheable, true);
    assert.ok(second.maxAge > 3590 && second.maxAge <= 3600);
    assert.equal(second.nextUpdate!.getTime() - second.thisUpdate!.getTime(), 3_600_000);
    assert.equal(second.http!.lastModified, second.thisUpdate!.toUTCString());
    assert.equal(second.http!.expires, second.nextUpdate!.toUTCString());
    assert.match(second.http!.etag, /^"[A-Za-z0-9_-]+"$/);
    assert.equal(env.ocsp.cacheSize, 1);
  });

  it('drops cached responses at once on cert.revoked (any serial spelling) and env.bus.resync', async () => {
    const q = { certIds: [idFor(env.A, 0x1001)] };
    assert.equal((await env.ask(q)).p.singles[0]!.kind, 'good');
    env.ca.setStatus('issuer-a', 0x1001, revoked('keyCompromise', new Date()));
    assert.equal((await env.ask(q)).p.singles[0]!.kind, 'good', 'still cached without an event');
    env.bus.emitLocal('cert.revoked', {
      issuerId: 'issuer-a',
      serial: '0000001001',
      reason: 'keyCompromise',
      revokedAt: new Date().toISOString(),
    });
    assert.equal((await env.ask(q)).p.singles[0]!.kind, 'revoked');
    env.ca.setStatus('issuer-a', 0x1001, good());
    env.bus.emitLocal('bus.resync', {});
    assert.equal((await env.ask(q)).p.singles[0]!.kind, 'good');
  });

  it('does not cache a status read that was in flight when the revocation event came', async () => {
    let release!: () => void;
    env.ca.gate = new Promise((r) => (release = r));
    const pending = env.ask({ certIds: [idFor(env.A, 0x1001)] });
    await tick();
    env.bus.emitLocal('cert.revoked', { issuerId: 'issuer-a', serial: '1001', reason: 'keyCompromise', revokedAt: '' });
    env.ca.setStatus('issuer-a', 0x1001, revoked('keyCompromise', new Date()));
    env.ca.gate = null;
    release();
    await pending;
    assert.equal((await env.ask({ certIds: [idFor(env.A, 0x1001)] })).p.singles[0]!.kind, 'revoked');
    assert.equal(env.ca.statusCalls, 2);
  });

  it('shares one status read between concurrent misses', async () => {
    const all = await Promise.all(
      Array.from({ length: 20 }, () => env.ocsp.respond(buildRequest({ certIds: [idFor(env.A, 0x1001)] }))),
    );
    assert.equal(env.ca.statusCalls, 1);
    assert.ok(all.every((r) => r.der === all[0]!.der));
  });

  it('evicts the least recently used entry beyond cacheSize', async () => {
    env.remake({}, { cacheSize: 2 });
    for (const s of [1, 2, 3]) env.ca.setStatus('issuer-a', s, good());
    for (const s of [1, 2, 1, 3]) await env.ask({ certIds: [idFor(env.A, s)] });
    assert.equal(env.ocsp.cacheSize, 2);
    assert.equal(env.ca.statusCalls, 3);
    await env.ask({ certIds: [idFor(env.A, 1)] });
    assert.equal(env.ca.statusCalls, 3, '1 was used recently and stayed');
    await env.ask({ certIds: [idFor(env.A, 2)] });
    assert.equal(env.ca.statusCalls, 4, '2 was evicted');
  });

  it('re-signs in the background when less than refreshBeforeSeconds remain, and expires', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const q = { certIds: [idFor(env.A, 0x1001)] };
    const first = (await env.ask(q)).r;
    mock.timers.tick(2_701_000); // 45 min + 1 s: inside the refresh window
    const during = (await env.ask(q)).r;
    assert.equal(during.der, first.der, 'served from cache while refreshing');
    await tick();
    await tick();
    const after = (await env.ask(q)).r;
    assert.notEqual(after.der, first.der);
    assert.equal(after.thisUpdate!.getTime() - first.thisUpdate!.getTime(), 2_701_000);
    assert.equal(env.ca.statusCalls, 2);
    env.ca.fail = new AppError('ERR_STORE_BUSY', 'busy');
    mock.timers.tick(3_601_000);
    assert.equal((await env.ask(q)).r.status, 'tryLater', 'an expired entry is never served');
  });

  it('renews the responder certificate inside the renewal window and after expiry', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    await env.ocsp.start();
    assert.equal(env.ca.grants.length, 2, 'one responder per issuer at start');
    mock.timers.tick(23 * 86_400_000 + 60_000);
    await env.ask({ certIds: [idFor(env.A, 0x1001)], nonce: randomBytes(16) });
    await tick();
    assert.equal(env.ca.grants.filter((g) => g.issuerId === 'issuer-a').length, 2, 'renewed within 7 days of expiry');
    const { p } = await env.ask({ certIds: [idFor(env.A, 0x1001)], nonce: randomBytes(16) });
    assert.ok(signatureValid(p, env.ca.lastResponderKey!), 'new key signs');
    env.ca.failIssue = new AppError('ERR_STORE_UNAVAILABLE', 'down');
    mock.timers.tick(31 * 86_400_000);
    assert.equal((await env.ask({ certIds: [idFor(env.B, 0x1001)], nonce: randomBytes(16) })).r.status, 'tryLater');
    env.ca.failIssue = null;
    mock.timers.tick(6_000);
    assert.equal((await env.ask({ certIds: [idFor(env.B, 0x1001)], nonce: randomBytes(16) })).r.status, 'successful');
  });
});
