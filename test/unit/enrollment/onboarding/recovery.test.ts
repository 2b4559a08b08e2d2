/**
 * Onboarding under partial failure (review findings):
 * - a token whose certificate was reserved but never stored (store step failed) can be used once
 *   more: the orphan serial is revoked (superseded) and a new certificate issued;
 * - a retirement that stopped part-way can be run again and finishes the revocations, escalating
 *   a certificate on hold to cessationOfOperation;
 * - internal profiles (OCSP signing, SCEP RA, admin) are never reachable through enrollment;
 * - token lifetimes are bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAppError } from '../../../../platform/errors.ts';
import { makeCsr } from '../../../helpers/pki.ts';
import { createEnrollEnv, enrollmentConfig } from '../est/harness.ts';
import { Onboarding } from '../../../../enrollment/index.ts';

const tokenEnroll = (token: string) => ({ csrDer: makeCsr().csrDer, credential: { kind: 'token' as const, token }, protocol: 'est' as const, peer: '192.0.2.9' });

test('a token survives a failed store step: the orphan is superseded and issuance retried', async () => {
  const env = await createEnrollEnv();
  try {
    await env.addDevice('dev-1');
    const tok = await env.token('dev-1');
    const first = await env.onboarding.enroll(tokenEnroll(tok));
    assert.equal(first.kind, 'issued');
    const serial = first.kind === 'issued' ? first.cert.serial : '';
    // what a failed store step leaves behind: the serial reserved, no certificate stored
    await env.t.db('ca_certificates').where({ serial }).update({ state: 'reserved', der: null, issued_at: null, fingerprint: null });
    // immediately: still "used" (the first attempt may be in flight)
    await assert.rejects(env.onboarding.enroll(tokenEnroll(tok)), (e) => isAppError(e, 'ERR_ENROLL_TOKEN_USED'));
    env.clock.now = Date.now() + 15_000;
    const again = await env.onboarding.enroll(tokenEnroll(tok));
    assert.equal(again.kind, 'issued');
    const orphan = await env.pki.ca.getCert(env.pki.issuer.record.id, serial);
    assert.equal(orphan?.state, 'revoked');
    assert.equal(orphan?.revocationReason, 'superseded');
    // and the token is spent for good now
    await assert.rejects(env.onboarding.enroll(tokenEnroll(tok)), (e) => isAppError(e, 'ERR_ENROLL_TOKEN_USED'));
  } finally {
    await env.cleanup();
  }
});

test('retire is retryable and leaves no certificate good or on hold', async () => {
  const env = await createEnrollEnv();
  try {
    await env.addDevice('dev-2');
    const a = await env.onboarding.enroll(tokenEnroll(await env.token('dev-2')));
    const b = await env.onboarding.enroll(tokenEnroll(await env.token('dev-2')));
    assert.ok(a.kind === 'issued' && b.kind === 'issued');
    await env.pki.ca.revoke(b.cert.serial, 'certificateHold', { actor: 'soc' });
    const r1 = await env.onboarding.retire('dev-2', 'ops');
    assert.equal(r1.revoked.length, 2, 'the held certificate is escalated too');
    const held = await env.pki.ca.getCert(b.cert.issuerId, b.cert.serial);
    assert.equal(held?.revocationReason, 'cessationOfOperation');
    // simulate a first run that stopped before revoking one certificate
    await env.t.db('ca_certificates').where({ serial: a.cert.serial }).update({ state: 'issued', revoked_at: null, revocation_reason: null });
    const r2 = await env.onboarding.retire('dev-2', 'ops');
    assert.deepEqual(r2.revoked, [`${a.cert.issuerId}:${a.cert.serial}`]);
    assert.equal((await env.pki.ca.listCerts({ deviceId: 'dev-2', state: 'issued' })).length, 0);
    assert.equal((await env.inventory.get('dev-2'))?.state, 'retired');
  } finally {
    await env.cleanup();
  }
});

test('internal profiles cannot be obtained through enrollment; token TTLs are bounded', async () => {
  const env = await createEnrollEnv();
  try {
    await env.addDevice('dev-3');
    for (const profile of ['ocsp-responder', 'scep-ra', 'admin-client']) {
      const ob = new Onboarding({ db: env.t.db, audit: env.audit, bus: env.bus, ca: env.pki.ca, inventory: env.inventory, config: enrollmentConfig({ labels: { evil: { profile } } }), idevidAnchors: env.anchors });
      const tok = await env.token('dev-3');
      await assert.rejects(ob.enroll({ ...tokenEnroll(tok), label: 'evil' }), (e) => isAppError(e, 'ERR_CONFIG'));
    }
    for (const ttl of [1e308, -1, 0, Number.NaN, 24 * 91]) await assert.rejects(env.onboarding.createToken('dev-3', 'ops', ttl), (e) => isAppError(e, 'ERR_BAD_INPUT'), String(ttl));
    assert.equal((await env.pki.ca.listCerts({ deviceId: 'dev-3' })).length, 0);
  } finally {
    await env.cleanup();
  }
});
