/**
 * Certificate <-> user binding (e-mail SAN, verified e-mail, explicit mappings with audit) and
 * the IdP MFA trust decision (amr / acr).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAppError } from '../../../platform/errors.ts';
import { certificateBelongsTo, CertMappings, idpMfa } from '../../../ztna-broker/authn/identity.ts';
import type { PeerCert } from '../../../ztna-broker/tls/peer.ts';
import { auditActions, brokerDb, type BrokerDb } from './fixtures.ts';

const cert: PeerCert = { der: Buffer.alloc(1), fingerprint: 'ab'.repeat(32), issuerId: 'i', serial: '1', emails: ['alice@example.com'], profile: 'admin-client', notAfter: Date.now() + 1e9 };
const claims = (over = {}) => ({ sub: 'u-alice', email: 'alice@example.com', emailVerified: true, ...over });

describe('certificate binding', () => {
  let b: BrokerDb;
  beforeEach(async () => {
    b = await brokerDb();
  });
  afterEach(() => b.cleanup());

  it('binds by e-mail SAN (verified), or by an explicit mapping, nothing else', async () => {
    assert.deepEqual(await certificateBelongsTo(b.t.db, cert, claims(), true), { ok: true, via: 'email-san' });
    assert.deepEqual(await certificateBelongsTo(b.t.db, cert, claims({ emailVerified: false }), true), { ok: false, reason: 'email-not-verified' });
    assert.deepEqual(await certificateBelongsTo(b.t.db, cert, claims({ emailVerified: false }), false), { ok: true, via: 'email-san' });
    assert.deepEqual(await certificateBelongsTo(b.t.db, cert, claims({ email: 'mallory@example.com', sub: 'u-m' }), true), { ok: false, reason: 'certificate-user-mismatch' });
    assert.deepEqual(await certificateBelongsTo(b.t.db, cert, claims({ email: '' }), true), { ok: false, reason: 'certificate-user-mismatch' });
    const m = new CertMappings(b.t.db, b.audit, b.now);
    await m.map(cert.fingerprint.toUpperCase(), 'u-m', 'admin:bob');
    assert.deepEqual(await certificateBelongsTo(b.t.db, cert, claims({ email: 'mallory@example.com', sub: 'u-m' }), true), { ok: true, via: 'mapping' });
    await m.map(cert.fingerprint, 'Mallory@Example.com', 'admin:bob');
    assert.deepEqual(await certificateBelongsTo(b.t.db, cert, claims({ email: 'mallory@example.com', sub: 'other' }), true), { ok: true, via: 'mapping' });
    assert.equal(await m.unmap(cert.fingerprint, 'admin:bob'), true);
    assert.equal(await m.unmap(cert.fingerprint, 'admin:bob'), false);
    assert.deepEqual(await auditActions(b), ['broker.cert.map', 'broker.cert.map', 'broker.cert.unmap']);
    await assert.rejects(m.map('not-a-fingerprint', 'x', 'a'), (e: unknown) => isAppError(e, 'ERR_BAD_INPUT'));
  });
});

describe('IdP MFA trust', () => {
  const now = Date.parse('2025-06-02T09:00:00Z');
  it('trusts only configured amr/acr values', () => {
    assert.equal(idpMfa({ amr: ['pwd', 'otp'], acr: null, authTime: 100 }, { amr: [], acr: [] }, now), null, 'nothing trusted by default');
    assert.deepEqual(idpMfa({ amr: ['pwd', 'otp'], acr: null, authTime: 100 }, { amr: ['otp', 'hwk'], acr: [] }, now), { method: 'idp', at: 100 });
    assert.equal(idpMfa({ amr: ['pwd'], acr: null, authTime: 100 }, { amr: ['otp'], acr: [] }, now), null);
    assert.deepEqual(idpMfa({ amr: [], acr: 'urn:mfa', authTime: null }, { amr: [], acr: ['urn:mfa'] }, now), { method: 'idp', at: now / 1000 });
    assert.equal(idpMfa({ amr: [], acr: 'urn:pwd', authTime: 1 }, { amr: [], acr: ['urn:mfa'] }, now), null);
  });
});
