/**
 * The upstream assertion: ES256 JWT verified with jose against the broker's JWKS, audience
 * scoping, lifetime, certificate binding (cnf x5t#S256), reuse and forgetting, key checks.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { isAppError } from '../../../platform/errors.ts';
import { AssertionSigner } from '../../../ztna-broker/proxy/assertion.ts';

const input = { sessionId: 's1', routeId: 'cam', audience: 'https://cam.gatehouse.test', sub: 'alice', email: 'alice@example.com', groups: ['ops'], mfaMethod: 'totp', mfaAt: 1_700_000_000, certThumbprint: 'ab'.repeat(32) };

describe('assertion', () => {
  it('verifies against the JWKS, scoped to the route audience and bound to the certificate', async () => {
    let now = Date.now();
    const s = await AssertionSigner.create({ issuer: 'https://broker.gatehouse.test', ttlSeconds: 60, now: () => now });
    const jwks = createLocalJWKSet(s.jwks());
    assert.equal(s.jwks().keys.length, 1);
    assert.equal(s.jwks().keys[0]!.d, undefined, 'no private part in the JWKS');
    const token = await s.sign(input);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: 'https://broker.gatehouse.test', audience: input.audience, algorithms: ['ES256'] });
    assert.equal(protectedHeader.kid, s.kid);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.exp! - payload.iat!, 60);
    assert.deepEqual(payload.amr, ['totp']);
    assert.equal(payload.auth_time, input.mfaAt);
    assert.equal((payload.cnf as Record<string, string>)['x5t#S256'], Buffer.alloc(32, 0xab).toString('base64url'));
    await assert.rejects(jwtVerify(token, jwks, { audience: 'https://hvac.gatehouse.test' }));
    assert.equal(await s.sign(input), token, 'reused within half its lifetime');
    now += 31_000;
    assert.notEqual(await s.sign(input), token, 'renewed after half its lifetime');
    const again = await s.sign(input);
    s.forgetSession('s1');
    assert.notEqual(await s.sign(input), again);
    assert.notEqual(decodeJwt(await s.sign({ ...input, routeId: 'hvac' })).jti, decodeJwt(again).jti);
  });

  it('loads a configured P-256 key and refuses others', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const a = await AssertionSigner.create({ keyPem: pem, issuer: 'x', ttlSeconds: 60, now: Date.now });
    const b = await AssertionSigner.create({ keyPem: pem, issuer: 'x', ttlSeconds: 60, now: Date.now });
    assert.equal(a.kid, b.kid, 'kid is the key thumbprint: stable across nodes sharing the key');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(AssertionSigner.create({ keyPem: rsa, issuer: 'x', ttlSeconds: 60, now: Date.now }), (e: unknown) => isAppError(e, 'ERR_CONFIG'));
    await assert.rejects(AssertionSigner.create({ keyPem: 'garbage', issuer: 'x', ttlSeconds: 60, now: Date.now }), (e: unknown) => isAppError(e, 'ERR_CONFIG'));
  });
});
