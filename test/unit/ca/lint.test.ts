import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bool, contextPrimitive, encodeName, explicit, generalizedTime, integer, nullDer, octetString, oid, OID, seq, tlv, utcTime } from '../../../ca/asn1/index.ts';
import { signatureAlgorithmFor } from '../../../ca/cert-builder.ts';
import * as ext from '../../../ca/extensions.ts';
import { assertLint, LINT_RULES, lintTbs } from '../../../ca/lint/index.ts';
import { getProfile } from '../../../ca/profiles/index.ts';
import { isAppError } from '../../../platform/errors.ts';
import { buildGood, profiles, subjectKey } from './fixtures.ts';

const replace = (o: string, e: ext.CertExtension) => (list: ext.CertExtension[]) => list.map((x) => (x.oid === o ? e : x));
const drop = (o: string) => (list: ext.CertExtension[]) => list.filter((x) => x.oid !== o);
const add = (e: ext.CertExtension) => (list: ext.CertExtension[]) => [...list, e];

/** Asserts that `rule` (and only errors) reports on the TBS, and that assertLint refuses it. */
function expectRule(rule: string, tbs: Buffer, ctx = buildGood().ctx): void {
  const findings = lintTbs(tbs, ctx);
  assert.ok(findings.some((f) => f.rule === rule && f.severity === 'error'), `${rule} not reported: ${JSON.stringify(findings)}`);
  assert.throws(() => assertLint(tbs, ctx), (e) => isAppError(e, 'ERR_LINT') && e.message.includes(rule));
}

test('a correct TBS has no findings', () => {
  const b = buildGood();
  assert.deepEqual(lintTbs(b.tbs, b.ctx), []);
  assert.deepEqual(assertLint(b.tbs, b.ctx), []);
});

test('der.parse: garbage and truncated TBS', () => {
  const b = buildGood();
  expectRule('der.parse', Buffer.from('not der'), b.ctx);
  expectRule('der.parse', b.tbs.subarray(0, b.tbs.length - 3), b.ctx);
});

test('version.v3: a v2 certificate', () => {
  const b = buildGood();
  expectRule('version.v3', b.rebuild({ version: explicit(0, integer(1)) }), b.ctx);
});

test('serial.positive: negative serial', () => {
  const b = buildGood();
  expectRule('serial.positive', b.rebuild({ serial: tlv(0x02, Buffer.from('8001020304050607', 'hex')) }), b.ctx);
});

test('serial.nonzero: zero serial', () => {
  const b = buildGood();
  expectRule('serial.nonzero', b.rebuild({ serial: integer(0) }), b.ctx);
});

test('serial.length: fewer than 8 or more than 20 content octets', () => {
  const b = buildGood();
  expectRule('serial.length', b.rebuild({ serial: integer(0x1234567) }), b.ctx);
  expectRule('serial.length', b.rebuild({ serial: integer(Buffer.alloc(21, 0x11)) }), b.ctx);
});

test('signature.algorithm: does not match the issuer key', () => {
  const b = buildGood();
  expectRule('signature.algorithm', b.rebuild({ signatureAlgorithm: signatureAlgorithmFor('RSA-2048') }), b.ctx);
});

test('issuer.name: differs from the issuer certificate subject', () => {
  const b = buildGood();
  expectRule('issuer.name', b.rebuild({ issuerDer: encodeName({ commonName: 'Someone Else' }) }), b.ctx);
});

test('validity.order: notAfter before notBefore', () => {
  const b = buildGood();
  expectRule('validity.order', b.rebuild({ validity: seq(utcTime(b.applied.notAfter), utcTime(b.applied.notBefore)) }), b.ctx);
});

test('validity.issuer: outside the issuer validity', () => {
  const b = buildGood();
  expectRule('validity.issuer', b.rebuild({ validity: seq(utcTime(b.applied.notBefore), utcTime(new Date(Date.UTC(2035, 0, 1)))) }), b.ctx);
  expectRule('validity.issuer', b.rebuild({ validity: seq(utcTime(new Date(Date.UTC(2020, 0, 1))), utcTime(b.applied.notAfter)) }), b.ctx);
});

test('time.encoding: GeneralizedTime before 2050 / UTCTime rule', () => {
  const b = buildGood();
  expectRule('time.encoding', b.rebuild({ validity: seq(generalizedTime(b.applied.notBefore), utcTime(b.applied.notAfter)) }), b.ctx);
});

test('spki.match: TBS key differs from the CSR key', () => {
  const b = buildGood();
  expectRule('spki.match', b.rebuild({ spkiDer: subjectKey().spkiDer }), b.ctx);
});

test('subject.or.san: empty subject without subjectAltName', () => {
  const b = buildGood();
  expectRule('subject.or.san', b.rebuild({ subjectDer: seq() }, drop(OID.subjectAltName)), b.ctx);
});

test('ext.duplicate: an extension twice', () => {
  const b = buildGood();
  expectRule('ext.duplicate', b.rebuild({}, add(ext.subjectKeyId(Buffer.alloc(20, 1)))), b.ctx);
});

test('ext.critical: unknown critical extension, and critical FALSE encoded', () => {
  const b = buildGood();
  expectRule('ext.critical', b.rebuild({}, add({ oid: '1.3.6.1.4.1.99999.1', critical: true, value: nullDer() })), b.ctx);
  const explicitFalse = seq(oid(OID.ocspNoCheck), bool(false), octetString(nullDer()));
  // an Extension with critical FALSE spelled out, spliced into the raw extension list
  expectRule('ext.critical', b.rebuild({ extensions: explicit(3, seq(...b.applied.extensions.map(ext.encodeExtension), explicitFalse)) }), b.ctx);
});

test('ski: missing, or not SHA-1 of the public key', () => {
  const b = buildGood();
  expectRule('ski', b.rebuild({}, drop(OID.subjectKeyIdentifier)), b.ctx);
  expectRule('ski', b.rebuild({}, replace(OID.subjectKeyIdentifier, ext.subjectKeyId(Buffer.alloc(20, 7)))), b.ctx);
});

test('aki: missing, or keyIdentifier differs from the issuer SKI', () => {
  const b = buildGood();
  expectRule('aki', b.rebuild({}, drop(OID.authorityKeyIdentifier)), b.ctx);
  expectRule('aki', b.rebuild({}, replace(OID.authorityKeyIdentifier, ext.authorityKeyId(Buffer.alloc(20, 9)))), b.ctx);
});

test('basic.constraints: missing, not critical, or cA TRUE', () => {
  const b = buildGood();
  expectRule('basic.constraints', b.rebuild({}, drop(OID.basicConstraints)), b.ctx);
  expectRule('basic.constraints', b.rebuild({}, replace(OID.basicConstraints, ext.basicConstraints(false, undefined, false))), b.ctx);
  expectRule('basic.constraints', b.rebuild({}, replace(OID.basicConstraints, ext.basicConstraints(true, 0))), b.ctx);
});

test('revocation.pointers: CDP / AIA missing or pointing elsewhere', () => {
  const b = buildGood();
  expectRule('revocation.pointers', b.rebuild({}, drop(OID.cRLDistributionPoints)), b.ctx);
  expectRule('revocation.pointers', b.rebuild({}, replace(OID.cRLDistributionPoints, ext.crlDistributionPoints(['http://elsewhere.test/x.crl']))), b.ctx);
  expectRule('revocation.pointers', b.rebuild({}, replace(OID.authorityInfoAccess, ext.authorityInfoAccess({ caIssuers: ['http://ca.example.test:8080/ca/feedfacecafebeef.crt'] }))), b.ctx);
});

test('ocsp.nocheck: responder without it, or another profile with it', () => {
  const r = buildGood({ profile: 'ocsp-responder', subject: { commonName: 'R' }, sans: undefined });
  expectRule('ocsp.nocheck', r.rebuild({}, drop(OID.ocspNoCheck)), r.ctx);
  const b = buildGood();
  expectRule('ocsp.nocheck', b.rebuild({}, add(ext.ocspNoCheck())), b.ctx);
});

test('key.usage: missing, not critical, keyEncipherment on EC, CA bits, not the profile bits', () => {
  const b = buildGood();
  expectRule('key.usage', b.rebuild({}, drop(OID.keyUsage)), b.ctx);
  expectRule('key.usage', b.rebuild({}, replace(OID.keyUsage, ext.keyUsage(['digitalSignature'], false))), b.ctx);
  expectRule('key.usage', b.rebuild({}, replace(OID.keyUsage, ext.keyUsage(['digitalSignature', 'keyEncipherment']))), b.ctx);
  expectRule('key.usage', b.rebuild({}, replace(OID.keyUsage, ext.keyUsage(['digitalSignature', 'keyCertSign']))), b.ctx);
  const rsa = buildGood({}, 'RSA-2048');
  expectRule('key.usage', rsa.rebuild({}, replace(OID.keyUsage, ext.keyUsage(['digitalSignature']))), rsa.ctx);
});

test('ext.key.usage: anyExtendedKeyUsage, OCSPSigning outside the responder, missing purposes', () => {
  const b = buildGood();
  expectRule('ext.key.usage', b.rebuild({}, replace(OID.extKeyUsage, ext.extKeyUsage([OID.kpClientAuth, OID.anyExtendedKeyUsage]))), b.ctx);
  expectRule('ext.key.usage', b.rebuild({}, replace(OID.extKeyUsage, ext.extKeyUsage([OID.kpClientAuth, OID.kpOCSPSigning]))), b.ctx);
  expectRule('ext.key.usage', b.rebuild({}, drop(OID.extKeyUsage)), b.ctx);
  expectRule('ext.key.usage', b.rebuild({}, replace(OID.extKeyUsage, ext.extKeyUsage([OID.kpClientAuth, OID.kpServerAuth]))), b.ctx);
  const r = buildGood({ profile: 'ocsp-responder', subject: { commonName: 'R' }, sans: undefined });
  expectRule('ext.key.usage', r.rebuild({}, replace(OID.extKeyUsage, ext.extKeyUsage([OID.kpClientAuth]))), r.ctx);
});

test('subject.alt.name: malformed names, types the profile forbids, criticality, required email', () => {
  const b = buildGood();
  const san = (...names: Buffer[]) => replace(OID.subjectAltName, ext.subjectAltName(seq(...names), false));
  expectRule('subject.alt.name', b.rebuild({}, san(contextPrimitive(2, Buffer.from('bad_name!.example')))), b.ctx);
  expectRule('subject.alt.name', b.rebuild({}, san(contextPrimitive(7, Buffer.from([10, 0, 0])))), b.ctx);
  expectRule('subject.alt.name', b.rebuild({}, san(contextPrimitive(1, Buffer.from('a@example.com')))), b.ctx);
  expectRule('subject.alt.name', b.rebuild({}, san(tlv(0xa4, encodeName({ commonName: 'x' })))), b.ctx);
  expectRule('subject.alt.name', b.rebuild({}, replace(OID.subjectAltName, ext.subjectAltName(seq(contextPrimitive(2, Buffer.from('dev-1.example.com'))), true))), b.ctx);
  const empty = buildGood({ subject: {}, sans: { dns: ['x.example.com'] } });
  expectRule('subject.alt.name', empty.rebuild({}, replace(OID.subjectAltName, ext.subjectAltName(seq(contextPrimitive(2, Buffer.from('x.example.com'))), false))), empty.ctx);
  const admin = buildGood({ profile: 'admin-client', sans: { email: ['alice@example.com'] } });
  expectRule('subject.alt.name', admin.rebuild({}, drop(OID.subjectAltName)), admin.ctx);
});

test('every rule is exercised by a test above', async () => {
  const { readFileSync } = await import('node:fs');
  const src = readFileSync(new URL(import.meta.url), 'utf8');
  for (const r of LINT_RULES) assert.ok(src.includes(`expectRule('${r.id}'`), `no test for lint rule ${r.id}`);
});

test('lintTbs never throws, whatever the bytes (property)', () => {
  const b = buildGood();
  const ctx = { ...b.ctx, profile: getProfile(profiles, 'device-tls') };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (garbage, at, byte) => {
      lintTbs(Buffer.from(garbage), ctx);
      const m = Buffer.from(b.tbs);
      m[at % m.length] = byte;
      const f = lintTbs(m, ctx);
      assert.ok(Array.isArray(f));
    }),
    { numRuns: 500 },
  );
});
