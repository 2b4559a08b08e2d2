/** OcspResponder over a fake CA: status mapping, issuer matching, error statuses, live signing. */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../../../platform/errors.ts';
import * as der from '../../../../ca/asn1/index.ts';
import { buildRequest, certIdDer, fakeIssuer, idFor, parseResponse, signatureValid } from './helpers.ts';
import { fakeEnv, type FakeEnv } from './env.ts';

describe('OcspResponder (fake CA): statuses, issuers, errors, nonces', () => {
  let env: FakeEnv;
  beforeEach(() => {
    env = fakeEnv();
  });
  afterEach(() => {
    env.ocsp.stop();
  });

  it('answers good, revoked (real reason and time), unknown, signed by a delegated responder', async () => {
    const { r, p } = await env.ask({ certIds: [idFor(env.A, 0x1001)] });
    assert.equal(r.status, 'successful');
    assert.equal(p.singles[0]!.kind, 'good');
    assert.deepEqual(p.singles[0]!.certIdDer, certIdDer(idFor(env.A, 0x1001)));
    assert.ok(signatureValid(p, env.ca.lastResponderKey!));
    assert.equal(p.certs.length, 1);
    assert.deepEqual(env.ca.grants[0], {
      profile: 'ocsp-responder',
      subject: { commonName: 'Gatehouse OCSP Responder issuer-a' },
      issuerId: 'issuer-a',
      actor: 'ocsp',
      validityDays: 30,
    });
    const rev = (await env.ask({ certIds: [idFor(env.A, 0x1002)] })).p.singles[0]!;
    assert.equal(rev.kind, 'revoked');
    assert.equal(rev.reason, 1);
    assert.equal(rev.revokedAt?.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.equal((await env.ask({ certIds: [idFor(env.A, 0x1003)] })).p.singles[0]!.reason, undefined);
    assert.equal((await env.ask({ certIds: [idFor(env.B, 0x1001)] })).p.singles[0]!.reason, 6);
    assert.equal((await env.ask({ certIds: [idFor(env.A, 0x9999)] })).p.singles[0]!.kind, 'unknown');
    assert.equal((await env.ask({ certIds: [idFor(env.A, -1)] })).p.singles[0]!.kind, 'unknown');
  });

  it('matches issuers by SHA-1 and SHA-256 name+key hashes and echoes each CertID form', async () => {
    const sha256 = (await env.ask({ certIds: [idFor(env.A, 0x1002, 'sha256')] })).p.singles[0]!;
    assert.equal(sha256.kind, 'revoked');
    assert.deepEqual(sha256.certIdDer, certIdDer(idFor(env.A, 0x1002, 'sha256')));
    const absent = { ...idFor(env.A, 0x1002), paramsAbsent: true };
    assert.deepEqual((await env.ask({ certIds: [absent] })).p.singles[0]!.certIdDer, certIdDer(absent));
  });

  it('never matches on the serial alone: unknown issuer, swapped hashes, SHA-384, mixed issuers -> unauthorized', async () => {
    const foreign = fakeIssuer('foreign');
    assert.equal((await env.ask({ certIds: [idFor(foreign, 0x1001)] })).p.status, 6);
    assert.equal((await env.ask({ certIds: [{ ...idFor(env.A, 0x1001), keyHash: env.B.keyHash.sha1 }] })).p.status, 6);
    const sha384 = {
      ...idFor(env.A, 0x1001),
      hashAlg: 'sha384' as const,
      nameHash: Buffer.alloc(48),
      keyHash: Buffer.alloc(48),
    };
    assert.equal((await env.ask({ certIds: [sha384] })).p.status, 6);
    assert.equal((await env.ask({ certIds: [idFor(env.A, 0x1001), idFor(env.B, 0x1001)] })).p.status, 6);
    assert.equal(env.ca.statusCalls, 0);
  });

  it('answers malformedRequest for garbage and over maxCertIds', async () => {
    assert.equal(parseResponse((await env.ocsp.respond(Buffer.from('garbage'))).der).status, 1);
    const six = Array.from({ length: 6 }, (_, i) => idFor(env.A, i + 1));
    assert.equal((await env.ask({ certIds: six })).p.status, 1);
    assert.equal((await env.ask({ certIds: [idFor(env.A, 1)], nonce: randomBytes(33) })).p.status, 1);
  });

  it('answers tryLater, never good, when the store fails or hangs', async () => {
    env.ca.fail = new AppError('ERR_STORE_UNAVAILABLE', 'down');
    assert.equal((await env.ask({ certIds: [idFor(env.A, 0x1001)] })).r.status, 'tryLater');
    env.ca.fail = Object.assign(new Error('SQLITE_ERROR: no such table: ca_certificates'), { code: 'SQLITE_ERROR' });
    assert.equal((await env.ask({ certIds: [idFor(env.A, 0x1001)], nonce: randomBytes(16) })).r.status, 'tryLater');
    env.ca.fail = null;
    env.ca.gate = new Promise(() => undefined);
    env.remake({}, { statusTimeoutMs: 30 });
    assert.equal((await env.ask({ certIds: [idFor(env.A, 0x1001)] })).r.status, 'tryLater');
  });

  it('signs nonce requests live, echoing the nonce, with the status from the cache', async () => {
    await env.ocsp.respond(buildRequest({ certIds: [idFor(env.A, 0x1001)] }));
    const nonce = randomBytes(32);
    const { r, p } = await env.ask({ certIds: [idFor(env.A, 0x1001)], nonce });
    assert.equal(r.cacheable, false);
    assert.equal(r.http, null);
    assert.deepEqual(p.nonceExtnValue, der.octetString(nonce));
    assert.ok(signatureValid(p, env.ca.lastResponderKey!));
    assert.equal(env.ca.statusCalls, 1);
    const again = await env.ask({ certIds: [idFor(env.A, 0x1001)], nonce });
    assert.notDeepEqual(again.r.der, r.der, 'ECDSA signatures differ: signed live');
    const off = await env.ask({ certIds: [idFor(env.A, 0x1001)], nonce }, { nonceAllowed: false });
    assert.equal(off.p.nonceExtnValue, undefined);
    assert.equal(off.r.cacheable, true);
  });

  it('answers several CertIDs of one issuer in one live-signed response', async () => {
    const { r, p } = await env.ask({
      certIds: [idFor(env.A, 0x1001), idFor(env.A, 0x1002, 'sha256'), idFor(env.A, 0x77)],
    });
    assert.equal(r.cacheable, false);
    assert.deepEqual(
      p.singles.map((s) => s.kind),
      ['good', 'revoked', 'unknown'],
    );
  });

  it('counts outcomes', async () => {
    await env.ask({ certIds: [idFor(env.A, 0x1001)] });
    await env.ask({ certIds: [idFor(env.A, 0x1001)] });
    await env.ask({ certIds: [idFor(env.A, 0x1002)], nonce: randomBytes(8) });
    await env.ocsp.respond(Buffer.from([1, 2, 3]));
    const text = await env.metrics.metrics();
    assert.match(text, /gatehouse_ocsp_responses_total\{status="good"\} 2/);
    assert.match(text, /gatehouse_ocsp_responses_total\{status="revoked"\} 1/);
    assert.match(text, /gatehouse_ocsp_responses_total\{status="malformedRequest"\} 1/);
    assert.match(text, /gatehouse_ocsp_cache_total\{result="hit"\} 1/);
    assert.match(text, /gatehouse_ocsp_signatures_total\{kind="live"\} 1/);
  });
});
