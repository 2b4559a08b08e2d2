/**
 * OcspResponder over a fake CA: `unknown` answers are short-lived, not publicly cacheable, kept
 * apart from real answers and out of the request memo; negative serials are signed once and
 * cached; an issuer-index miss refreshes the CA's issuers (rate-limited).
 */
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { postKey } from '../../../../ca/ocsp/index.ts';
import { buildRequest, fakeIssuer, good, idFor } from './helpers.ts';
import { fakeEnv, type FakeEnv } from './env.ts';

describe('OcspResponder: unknown answers and issuer refresh', () => {
  let env: FakeEnv;
  beforeEach(() => {
    env = fakeEnv();
  });
  afterEach(() => {
    env.ocsp.stop();
    mock.timers.reset();
  });

  it('answers unknown with a 60 s validity, without HTTP caching, and not from the request memo', async () => {
    const req = buildRequest({ certIds: [idFor(env.A, 0x4242)] });
    const { r, p } = await env.ask({ certIds: [idFor(env.A, 0x4242)] });
    assert.equal(p.singles[0]!.kind, 'unknown');
    assert.equal(p.singles[0]!.nextUpdate!.getTime() - p.singles[0]!.thisUpdate.getTime(), 60_000);
    assert.equal(r.cacheable, false);
    assert.equal(r.http, null);
    await env.ocsp.respond(req);
    assert.equal(env.ocsp.lookup(postKey(req)!), undefined, 'unknown answers are not memoised');
    assert.equal(env.ca.statusCalls, 1, 'but the signed unknown is reused while valid');
    // a known certificate keeps its full validity and caching
    const known = await env.ask({ certIds: [idFor(env.A, 0x1001)] });
    assert.equal(known.r.cacheable, true);
    assert.equal(known.p.singles[0]!.nextUpdate!.getTime() - known.p.singles[0]!.thisUpdate.getTime(), 3_600_000);
  });

  it('re-reads an unknown serial after 60 s: a certificate issued on another node turns good', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const q = { certIds: [idFor(env.A, 0x5151)] };
    assert.equal((await env.ask(q)).p.singles[0]!.kind, 'unknown');
    env.ca.setStatus('issuer-a', 0x5151, good()); // no cert.issued event reaches this node
    mock.timers.tick(30_000);
    assert.equal((await env.ask(q)).p.singles[0]!.kind, 'unknown');
    mock.timers.tick(31_000);
    assert.equal((await env.ask(q)).p.singles[0]!.kind, 'good');
    assert.equal(env.ca.statusCalls, 2);
  });

  it('a flood of random serials neither evicts real answers nor fills the request memo', async () => {
    env.remake({}, { cacheSize: 4 });
    const known = buildRequest({ certIds: [idFor(env.A, 0x1001)] });
    await env.ocsp.respond(known);
    assert.ok(env.ocsp.lookup(postKey(known)!), 'known answer memoised');
    for (let s = 0x9000; s < 0x9040; s++) await env.ask({ certIds: [idFor(env.A, s)] });
    assert.equal(env.ocsp.cacheSize, 1);
    assert.ok(env.ocsp.unknownCacheSize <= 4);
    const calls = env.ca.statusCalls;
    assert.ok(env.ocsp.lookup(postKey(known)!), 'still answered from the memo and the cache');
    await env.ocsp.respond(known);
    assert.equal(env.ca.statusCalls, calls, 'no new status read for the known certificate');
  });

  it('signs a negative-serial request once and answers repeats from the cache, without a store read', async () => {
    const first = await env.ask({ certIds: [idFor(env.A, -5)] });
    const again = await env.ask({ certIds: [idFor(env.A, -5)] });
    assert.equal(first.p.singles[0]!.kind, 'unknown');
    assert.equal(again.r.der, first.r.der, 'same Buffer: not signed again');
    assert.equal(env.ca.statusCalls, 0);
    const text = await env.metrics.metrics();
    assert.match(text, /gatehouse_ocsp_signatures_total\{kind="cached"\} 1/);
    assert.doesNotMatch(text, /gatehouse_ocsp_signatures_total\{kind="live"\} [1-9]/);
  });

  it('an issuer-index miss asks the CA to refresh its issuers, at most once per 10 s', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const C = fakeIssuer('issuer-c');
    let refreshes = 0;
    const ca = env.ca as typeof env.ca & { refreshIssuers?: () => Promise<boolean> };
    ca.refreshIssuers = async () => {
      refreshes++;
      if (ca.list.includes(C)) return false;
      ca.list = [...ca.list, C]; // registered by another node: only the store knows it yet
      return true;
    };
    env.remake();
    ca.setStatus('issuer-c', 0x77, good());
    const other = fakeIssuer('foreign');
    assert.equal((await env.ask({ certIds: [idFor(other, 1)] })).r.status, 'unauthorized');
    assert.equal(refreshes, 1);
    assert.equal(
      (await env.ask({ certIds: [idFor(C, 0x77)] })).p.singles[0]!.kind,
      'good',
      'the refresh loaded issuer-c',
    );
    assert.equal((await env.ask({ certIds: [idFor(other, 2)] })).r.status, 'unauthorized');
    assert.equal(refreshes, 1, 'rate-limited');
    mock.timers.tick(10_001);
    assert.equal((await env.ask({ certIds: [idFor(other, 3)] })).r.status, 'unauthorized');
    assert.equal(refreshes, 2);
  });
});
