import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OID } from '../../../../ca/asn1/index.ts';
import {
  buildCrl,
  CrlBuilder,
  crlUrls,
  parseCrl,
  verifyCrlSignature,
  type CrlEntry,
  type CrlParams,
} from '../../../../ca/crl/index.ts';
import { issuerUrls } from '../../../../ca/extensions.ts';
import { REVOCATION_REASONS, type RevocationReason } from '../../../../ca/types.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { randomSerial, softIssuer } from './helpers.ts';

const issuer = softIssuer('P-256');
const urls = crlUrls('http://pki.example.net:8080/', 'issuing-1');
const T = new Date('2030-05-01T10:00:00.750Z');
const params = (over: Partial<CrlParams> = {}): CrlParams => ({
  issuer,
  number: 7,
  thisUpdate: T,
  nextUpdate: new Date(T.getTime() + 86_400_000),
  idpUrl: urls.full,
  freshestUrl: urls.delta,
  ...over,
});
const sec = (iso: string): number => Date.parse(iso) / 1000;

test('IDP fullName is exactly the CDP URL the profiles put in certificates', () => {
  assert.equal(urls.full, issuerUrls('http://pki.example.net:8080/', 'issuing-1').crl);
  assert.equal(urls.full, 'http://pki.example.net:8080/crl/issuing-1.crl');
  assert.equal(urls.delta, 'http://pki.example.net:8080/crl/issuing-1-delta.crl');
});

test('complete CRL: v2, issuer Name, times, AKI = SKI, CRLNumber, critical IDP (user certs only), FreshestCRL, valid signature', () => {
  const crl = buildCrl(params(), [
    { serial: 'abc123', revokedAt: sec('2030-04-30T00:00:00Z'), reason: 'keyCompromise' },
  ]);
  const p = parseCrl(crl.der);
  assert.equal(p.signatureAlgorithm, OID.ecdsaWithSHA256);
  assert.deepEqual(p.issuerDer, issuer.nameDer);
  assert.equal(p.thisUpdate.toISOString(), '2030-05-01T10:00:00.000Z');
  assert.equal(p.nextUpdate?.toISOString(), '2030-05-02T10:00:00.000Z');
  assert.deepEqual(crl.thisUpdate, p.thisUpdate);
  assert.equal(p.number, 7n);
  assert.equal(p.baseNumber, null);
  assert.deepEqual(p.akiKeyId, issuer.ski);
  assert.deepEqual(p.idp, { urls: [urls.full], onlyContainsUserCerts: true });
  assert.deepEqual(p.freshestUrls, [urls.delta]);
  assert.deepEqual(p.critical, [OID.issuingDistributionPoint]);
  assert.ok(verifyCrlSignature(p, issuer.signer.publicKey, issuer.signer.digest));
  assert.equal(crl.entries, 1);
});

test('signature algorithm follows the issuer key', () => {
  for (const [alg, oid] of [
    ['P-384', OID.ecdsaWithSHA384],
    ['P-521', OID.ecdsaWithSHA512],
    ['RSA-2048', OID.sha256WithRSAEncryption],
    ['Ed25519', OID.ed25519],
  ] as const) {
    const i = softIssuer(alg);
    const p = parseCrl(buildCrl(params({ issuer: i }), [{ serial: '01', revokedAt: 0 }]).der);
    assert.equal(p.signatureAlgorithm, oid, alg);
    assert.ok(verifyCrlSignature(p, i.signer.publicKey, i.signer.digest), alg);
  }
});

test('reasonCode for every reason except unspecified (omitted, RFC 5280 §5.3.1); invalidityDate when known', () => {
  const reasons = (Object.keys(REVOCATION_REASONS) as RevocationReason[]).filter((r) => r !== 'removeFromCRL');
  const entries: CrlEntry[] = reasons.map((reason, i) => ({
    serial: (i + 1).toString(16),
    revokedAt: sec('2030-04-01T00:00:00Z') + i,
    reason,
  }));
  entries.push({ serial: 'aa', revokedAt: 1, reason: null }, { serial: 'bb', revokedAt: 2, reason: 'no-such-reason' });
  entries.push({ serial: 'cc', revokedAt: 3, reason: 'keyCompromise', invalidityDate: sec('2030-03-31T12:00:00Z') });
  const crl = buildCrl(params(), entries);
  const got = parseCrl(crl.der).entries;
  for (const [i, r] of reasons.entries()) assert.equal(got[i]!.reason, r === 'unspecified' ? null : r, r);
  const unspecified = got[reasons.indexOf('unspecified')]!;
  assert.equal(unspecified.invalidityDate, null);
  assert.equal(
    crl.der.includes(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01, 0x00])),
    false,
    'no reasonCode 0 anywhere',
  );
  // an unknown label is still listed (fail closed), as unspecified
  assert.deepEqual(
    got.slice(-3).map((e) => [e.serial, e.reason]),
    [
      ['aa', null],
      ['bb', null],
      ['cc', 'keyCompromise'],
    ],
  );
  assert.equal(got.at(-1)!.invalidityDate?.toISOString(), '2030-03-31T12:00:00.000Z');
});

test('removeFromCRL entries only in delta CRLs: skipped (and counted) in a complete CRL', () => {
  const entries: CrlEntry[] = [
    { serial: '10', revokedAt: 100, reason: 'certificateHold' },
    { serial: '11', revokedAt: 101, reason: 'removeFromCRL' },
  ];
  const full = buildCrl(params(), entries);
  assert.deepEqual(
    parseCrl(full.der).entries.map((e) => e.serial),
    ['10'],
  );
  assert.equal(full.skipped, 1);
  const delta = buildCrl(params({ number: 8, baseNumber: 7, freshestUrl: undefined }), entries);
  const p = parseCrl(delta.der);
  assert.deepEqual(
    p.entries.map((e) => [e.serial, e.reason]),
    [
      ['10', 'certificateHold'],
      ['11', 'removeFromCRL'],
    ],
  );
  assert.equal(p.baseNumber, 7n);
  assert.deepEqual(p.critical.sort(), [OID.deltaCRLIndicator, OID.issuingDistributionPoint].sort());
  assert.deepEqual(p.idp, { urls: [urls.full], onlyContainsUserCerts: true }, 'delta carries the same IDP as the base');
  assert.deepEqual(p.freshestUrls, [], 'no FreshestCRL in a delta (§5.2.6)');
  assert.equal(delta.delta, true);
});

test('no entries: revokedCertificates is absent, not empty (§5.1.2.6)', () => {
  const crl = buildCrl(params(), []);
  assert.deepEqual(parseCrl(crl.der).entries, []);
  assert.equal(crl.entries, 0);
});

test('refuses inconsistent parameters', () => {
  const bad = (over: Partial<CrlParams>, entries: CrlEntry[] = []) =>
    assert.throws(
      () => buildCrl(params(over), entries),
      (e) => isAppError(e, 'ERR_BAD_INPUT'),
    );
  bad({ nextUpdate: T });
  bad({ baseNumber: 7 });
  bad({ number: 9, baseNumber: 8 }); // FreshestCRL in a delta
  bad({ number: -1 });
  bad({ idpUrl: 'ldap://x/y' });
  bad({}, [{ serial: 'zz', revokedAt: 1 }]);
  const b = new CrlBuilder(params());
  b.sign();
  assert.throws(
    () => b.sign(),
    (e) => isAppError(e, 'ERR_INTERNAL'),
  );
  assert.throws(
    () => b.add({ serial: '1', revokedAt: 1 }),
    (e) => isAppError(e, 'ERR_INTERNAL'),
  );
});

test('sizeHint too small or absent still builds (the buffer grows)', () => {
  const entries = Array.from({ length: 5000 }, (_, i) => ({
    serial: randomSerial(),
    revokedAt: 1_900_000_000 + i,
    reason: 'superseded',
  }));
  const p = parseCrl(buildCrl(params({ sizeHint: 1 }), entries).der);
  assert.deepEqual(
    p.entries.map((e) => e.serial),
    entries.map((e) => e.serial),
  );
});

const entryArb = fc.record({
  serial: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) =>
    Buffer.from(b)
      .toString('hex')
      .replace(/^0+(?=.)/, ''),
  ),
  revokedAt: fc.integer({ min: Date.UTC(1900, 0, 1) / 1000, max: Date.UTC(9999, 0, 1) / 1000 }),
  reason: fc.constantFrom<RevocationReason | null>(null, ...(Object.keys(REVOCATION_REASONS) as RevocationReason[])),
  invalidityDate: fc.option(fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) / 1000 }), { nil: null }),
});

test('property: any entry set round-trips through the DER reader exactly (full and delta)', () => {
  fc.assert(
    fc.property(fc.array(entryArb, { maxLength: 60 }), fc.boolean(), (entries, delta) => {
      const crl = buildCrl(params(delta ? { number: 9, baseNumber: 3, freshestUrl: undefined } : {}), entries);
      const p = parseCrl(crl.der);
      const kept = entries.filter((e) => delta || e.reason !== 'removeFromCRL');
      assert.equal(crl.entries, kept.length);
      assert.deepEqual(
        p.entries.map((e) => [
          e.serial,
          e.revokedAt.getTime() / 1000,
          e.reason,
          e.invalidityDate ? e.invalidityDate.getTime() / 1000 : null,
        ]),
        kept.map((e) => [e.serial, e.revokedAt, e.reason === 'unspecified' ? null : e.reason, e.invalidityDate]),
      );
      assert.ok(verifyCrlSignature(p, issuer.signer.publicKey, issuer.signer.digest));
    }),
    { numRuns: 200 },
  );
});
