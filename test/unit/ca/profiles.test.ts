import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OID } from '../../../ca/asn1/index.ts';
import { parseTbs, findExtension } from '../../../ca/cert-parse.ts';
import { lintTbs } from '../../../ca/lint/index.ts';
import { applyProfile, BACKDATE_MS, getProfile, keyPolicyFor, resolveProfiles, type ProfileOverride } from '../../../ca/profiles/index.ts';
import { isAppError } from '../../../platform/errors.ts';
import { buildGood, grant, memoryIssuer, NOW, profiles, subjectKey } from './fixtures.ts';

const code = (c: string) => (e: unknown) => isAppError(e) && e.code === c;
const DAY = 86_400_000;
const oids = (exts: { oid: string }[]) => exts.map((e) => e.oid);

test('device-tls: extensions in order, clientAuth (+serverAuth on request), lint-clean', () => {
  const b = buildGood({ serverAuth: true });
  assert.deepEqual(oids(b.applied.extensions), [OID.basicConstraints, OID.keyUsage, OID.extKeyUsage, OID.subjectKeyIdentifier, OID.authorityKeyIdentifier, OID.subjectAltName, OID.cRLDistributionPoints, OID.authorityInfoAccess]);
  assert.deepEqual(lintTbs(b.tbs, b.ctx), []);
  const eku = findExtension(parseTbs(b.tbs), OID.extKeyUsage);
  assert.ok(eku && eku.value.includes(Buffer.from('2b06010505070301', 'hex')) && eku.value.includes(Buffer.from('2b06010505070302', 'hex')));
});

test('every built-in profile with every allowed key type passes the lint set', () => {
  const cases: Array<[string, object]> = [
    ['device-tls', {}],
    ['radius-server', { sans: { dns: ['radius.example.com'] } }],
    ['admin-client', { sans: { email: ['alice@example.com'] } }],
    ['ocsp-responder', { sans: undefined, subject: { commonName: 'OCSP Responder' } }],
    ['scep-ra', { sans: undefined, subject: { commonName: 'SCEP RA' } }],
  ];
  for (const [name, g] of cases) {
    for (const alg of getProfile(profiles, name).keyTypes) {
      if (alg.startsWith('RSA-') && alg !== 'RSA-2048') continue; // same encoding, slower keygen
      const b = buildGood({ profile: name, ...g }, alg);
      assert.deepEqual(lintTbs(b.tbs, b.ctx), [], `${name} ${alg}`);
    }
  }
});

test('keyUsage: digitalSignature for EC/Ed25519, + keyEncipherment for RSA; OCSP responder carries nocheck', () => {
  const ku = (alg: 'P-256' | 'RSA-2048' | 'Ed25519', profile = 'device-tls', g = {}) =>
    findExtension(parseTbs(buildGood({ profile, ...g }, alg).tbs), OID.keyUsage)?.value.toString('hex');
  assert.equal(ku('P-256'), '03020780');
  assert.equal(ku('Ed25519'), '03020780');
  assert.equal(ku('RSA-2048'), '030205a0');
  const ocsp = buildGood({ profile: 'ocsp-responder', sans: undefined, subject: { commonName: 'R' } }, 'RSA-2048');
  assert.equal(findExtension(parseTbs(ocsp.tbs), OID.keyUsage)?.value.toString('hex'), '03020780');
  assert.ok(findExtension(parseTbs(ocsp.tbs), OID.ocspNoCheck));
  assert.equal(findExtension(parseTbs(ocsp.tbs), OID.cRLDistributionPoints), undefined);
});

test('validity: 5 min backdate, default and maximum days, capped by the issuer', () => {
  const issuer = memoryIssuer();
  const key = subjectKey();
  const p = getProfile(profiles, 'device-tls');
  let a = applyProfile(p, grant(), key, issuer, NOW);
  assert.equal(a.notBefore.getTime(), NOW.getTime() - BACKDATE_MS);
  assert.equal(a.notAfter.getTime(), NOW.getTime() + 365 * DAY);
  a = applyProfile(p, grant({ validityDays: 10_000 }), key, issuer, NOW);
  assert.equal(a.notAfter.getTime(), NOW.getTime() + 825 * DAY);
  const late = { ...issuer, notAfter: new Date(NOW.getTime() + 30 * DAY) };
  a = applyProfile(p, grant(), key, late, NOW);
  assert.equal(a.notAfter.getTime(), late.notAfter.getTime());
  const young = { ...issuer, notBefore: new Date(NOW.getTime() - 60_000) };
  a = applyProfile(p, grant(), key, young, new Date(NOW.getTime() + 1234));
  assert.equal(a.notBefore.getTime(), young.notBefore.getTime(), 'backdate capped at the issuer notBefore');
  assert.equal(a.notAfter.getTime() % 1000, 0, 'whole seconds');
  assert.throws(() => applyProfile(p, grant({ validityDays: 0 }), key, issuer, NOW), code('ERR_PROFILE_POLICY'));
  assert.throws(() => applyProfile(p, grant(), key, issuer, new Date(Date.UTC(2032, 0, 1))), code('ERR_ISSUER_UNAVAILABLE'));
  const admin = getProfile(profiles, 'admin-client');
  a = applyProfile(admin, grant({ profile: 'admin-client', sans: { email: ['a@example.com'] } }), key, issuer, NOW);
  assert.equal(a.notAfter.getTime(), NOW.getTime() + 90 * DAY);
});

test('names come from the grant; empty subject only with SANs, then SAN is critical', () => {
  const b = buildGood({ subject: {}, sans: { dns: ['only-san.example.com'] } });
  const san = findExtension(parseTbs(b.tbs), OID.subjectAltName);
  assert.equal(san?.critical, true);
  assert.deepEqual(lintTbs(b.tbs, b.ctx), []);
  assert.equal(findExtension(parseTbs(buildGood().tbs), OID.subjectAltName)?.critical, false);
  const p = getProfile(profiles, 'device-tls');
  assert.throws(() => applyProfile(p, grant({ subject: {}, sans: undefined }), subjectKey(), memoryIssuer(), NOW), code('ERR_PROFILE_POLICY'));
});

test('policy refusals: SAN types, required email, commonName, serverAuth, names with control characters', () => {
  const k = subjectKey();
  const i = memoryIssuer();
  const p = (n: string) => getProfile(profiles, n);
  assert.throws(() => applyProfile(p('device-tls'), grant({ sans: { email: ['a@example.com'] } }), k, i, NOW), code('ERR_PROFILE_POLICY'));
  assert.throws(() => applyProfile(p('admin-client'), grant({ profile: 'admin-client', sans: { uri: ['urn:x'] } }), k, i, NOW), code('ERR_PROFILE_POLICY'));
  assert.throws(() => applyProfile(p('ocsp-responder'), grant({ profile: 'ocsp-responder', subject: { organization: 'x' }, sans: undefined }), k, i, NOW), code('ERR_PROFILE_POLICY'));
  assert.throws(() => applyProfile(p('admin-client'), grant({ profile: 'admin-client', serverAuth: true, sans: { email: ['a@example.com'] } }), k, i, NOW), code('ERR_PROFILE_POLICY'));
  for (const bad of ['dev\u0000-1', 'dev\n1', 'evil\u202eexe', 'x\u0007']) {
    assert.throws(() => applyProfile(p('device-tls'), grant({ subject: { commonName: bad } }), k, i, NOW), code('ERR_PROFILE_POLICY'), JSON.stringify(bad));
    assert.throws(() => applyProfile(p('device-tls'), grant({ sans: { dns: [bad] } }), k, i, NOW), code('ERR_PROFILE_POLICY'), JSON.stringify(bad));
  }
  assert.throws(() => applyProfile(p('device-tls'), grant({ sans: { dns: ['bad_name.example.com'] } }), k, i, NOW), code('ERR_PROFILE_POLICY'));
  assert.throws(() => getProfile(profiles, 'no-such-profile'), code('ERR_PROFILE_UNKNOWN'));
});

test('key types per profile: scep-ra is RSA only, odd RSA sizes are no key type', () => {
  const i = memoryIssuer();
  assert.throws(() => applyProfile(getProfile(profiles, 'scep-ra'), grant({ profile: 'scep-ra', sans: undefined, subject: { commonName: 'RA' } }), subjectKey('P-256'), i, NOW), code('ERR_KEY_POLICY'));
  assert.throws(() => applyProfile(getProfile(profiles, 'device-tls'), grant(), { spkiDer: subjectKey().spkiDer, key: { kind: 'rsa', bits: 2500, exponent: 65537 } }, i, NOW), code('ERR_KEY_POLICY'));
  assert.deepEqual(keyPolicyFor(getProfile(profiles, 'scep-ra')), { rsa: { minBits: 2048, maxBits: 4096 }, ec: false, ed25519: false });
});

test('config overrides: validity, key types, serverAuth; bad overrides fail boot with ERR_CONFIG', () => {
  const set = resolveProfiles({ publicUrl: 'https://pki.example.com/', overrides: { 'device-tls': { maxValidityDays: 90, keyTypes: ['P-384'], serverAuth: true } } });
  const p = getProfile(set, 'device-tls');
  assert.equal(p.defaultValidityDays, 90, 'default lowered with the maximum');
  assert.deepEqual([...p.keyTypes], ['P-384']);
  assert.equal(p.serverAuth, 'always');
  const b = buildGood();
  assert.throws(() => applyProfile(p, grant(), subjectKey('P-256'), b.issuer, NOW), code('ERR_KEY_POLICY'));
  const a = applyProfile(p, grant(), subjectKey('P-384'), b.issuer, NOW);
  assert.ok(a.extensions.some((e) => e.oid === OID.cRLDistributionPoints && e.value.includes(Buffer.from('https://pki.example.com/crl/feedfacecafebeef.crl'))));
  const bad: Array<Record<string, ProfileOverride>> = [{ nope: {} }, { 'device-tls': { defaultValidityDays: 900 } }, { 'scep-ra': { keyTypes: ['P-256'] } }, { 'ocsp-responder': { serverAuth: true } }];
  for (const overrides of bad) {
    assert.throws(() => resolveProfiles({ publicUrl: 'http://x', overrides }), code('ERR_CONFIG'), JSON.stringify(overrides));
  }
  assert.throws(() => resolveProfiles({ publicUrl: 'ftp://x' }), code('ERR_CONFIG'));
});
