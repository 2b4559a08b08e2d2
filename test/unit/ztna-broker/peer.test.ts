/**
 * The per-request client-certificate check (tls/peer.ts) against a fake CA and fake sockets:
 * missing, foreign, expired, not yet valid, revoked, unknown, wrong profile, store outage (503,
 * never allow), the per-connection cache and its invalidation by revocation events.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import type { CertificateAuthority, CertRecord, CertStatus } from '../../../ca/index.ts';
import { AppError } from '../../../platform/errors.ts';
import { silentLogger } from '../../../platform/log.ts';
import { normalizeSerialHex, PeerVerifier } from '../../../ztna-broker/tls/peer.ts';

const DER = Buffer.from('fake certificate der');
const NOW = Date.parse('2025-06-02T09:00:00Z');

function record(over: Partial<CertRecord> = {}): CertRecord {
  return { issuerId: 'iss-1', serial: '1f', state: 'issued', profile: 'admin-client', deviceId: null, subject: 'CN=alice', sans: { email: ['Alice@Example.com'] }, notBefore: new Date(NOW - 1e6), notAfter: new Date(NOW + 1e9), der: DER, fingerprint: null, reservedAt: new Date(NOW), issuedAt: new Date(NOW), revokedAt: null, revocationReason: null, invalidityDate: null, ...over };
}

function socket(over: { authorized?: boolean; authorizationError?: string; raw?: Buffer | null; validTo?: number; validFrom?: number } = {}): TLSSocket {
  const peer = over.raw === null ? {} : { raw: over.raw ?? DER, valid_to: new Date(over.validTo ?? NOW + 1e9).toUTCString(), valid_from: new Date(over.validFrom ?? NOW - 1e6).toUTCString(), serialNumber: '1F' };
  return { authorized: over.authorized ?? true, authorizationError: over.authorizationError, getPeerCertificate: () => peer } as unknown as TLSSocket;
}

function fakeCa(answer: () => Promise<CertStatus>): CertificateAuthority & { calls: number } {
  const ca = { calls: 0, statusOfCert: async () => (ca.calls++, answer()) };
  return ca as unknown as CertificateAuthority & { calls: number };
}

const verifier = (ca: CertificateAuthority, now = () => NOW, cacheMs = 1000) => new PeerVerifier(ca, { profiles: ['admin-client'], cacheMs, now, log: silentLogger() });

describe('client certificate check', () => {
  it('accepts a live admin-client certificate and describes it', async () => {
    const r = await verifier(fakeCa(async () => ({ state: 'good', record: record() }))).check(socket());
    assert.ok(r.ok);
    assert.equal(r.cert.fingerprint, createHash('sha256').update(DER).digest('hex'));
    assert.deepEqual(r.cert.emails, ['alice@example.com']);
    assert.equal(r.cert.serial, '1f');
  });

  const good = fakeCa(async () => ({ state: 'good', record: record() }));
  const cases: Array<[string, TLSSocket, CertificateAuthority, string, number]> = [
    ['no certificate', socket({ raw: null }), good, 'certificate-missing', 403],
    ['foreign chain', socket({ authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }), good, 'certificate-foreign', 403],
    ['self-signed', socket({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), good, 'certificate-foreign', 403],
    ['expired at handshake', socket({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED' }), good, 'certificate-expired', 403],
    ['expired since', socket({ validTo: NOW - 1 }), good, 'certificate-expired', 403],
    ['not yet valid', socket({ validFrom: NOW + 60_000 }), good, 'certificate-not-yet-valid', 403],
    ['revoked', socket(), fakeCa(async () => ({ state: 'revoked', revokedAt: new Date(NOW), reason: 'keyCompromise', record: record({ state: 'revoked' }) })), 'certificate-revoked', 403],
    ['unknown to the CA', socket(), fakeCa(async () => ({ state: 'unknown' })), 'certificate-unknown', 403],
    ['device profile', socket(), fakeCa(async () => ({ state: 'good', record: record({ profile: 'device-tls' }) })), 'certificate-profile-not-allowed', 403],
    ['store outage', socket(), fakeCa(async () => Promise.reject(new AppError('ERR_STORE_UNAVAILABLE', 'down'))), 'revocation-state-unavailable', 503],
    ['CA throws anything', socket(), fakeCa(async () => Promise.reject(new Error('boom'))), 'revocation-state-unavailable', 503],
  ];
  for (const [name, s, ca, reason, status] of cases) {
    it(`${name} -> ${status} ${reason}`, async () => {
      assert.deepEqual(await verifier(ca).check(s), { ok: false, reason, status });
    });
  }

  it('reuses an answer per connection for cacheMs; a revocation event invalidates at once', async () => {
    let state: CertStatus = { state: 'good', record: record() };
    const ca = fakeCa(async () => state);
    let now = NOW;
    const v = verifier(ca, () => now);
    const s = socket();
    assert.ok((await v.check(s)).ok);
    assert.ok((await v.check(s)).ok);
    assert.equal(ca.calls, 1);
    now += 1001;
    assert.ok((await v.check(s)).ok);
    assert.equal(ca.calls, 2, 'live again after cacheMs');
    state = { state: 'revoked', revokedAt: new Date(NOW), reason: 'keyCompromise', record: record() };
    v.invalidateAll();
    assert.equal((await v.check(s)).ok, false);
    assert.equal(ca.calls, 3);
  });

  it('does not cache a store outage', async () => {
    let down = true;
    const ca = fakeCa(async () => (down ? Promise.reject(new Error('down')) : { state: 'good', record: record() }));
    const v = verifier(ca);
    const s = socket();
    assert.equal((await v.check(s)).ok, false);
    down = false;
    assert.equal((await v.check(s)).ok, true);
  });

  it('normalizes serials like the CA', () => {
    assert.equal(normalizeSerialHex('00:0A:FF'), 'aff');
    assert.equal(normalizeSerialHex('000'), '0');
  });
});
