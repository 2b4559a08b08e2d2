/**
 * Lint rules on the TBSCertificate fields (not extensions).
 *
 * Rules enforced:
 * - version: v3 (RFC 5280 §4.1.2.1), no issuer/subject unique IDs (§4.1.2.8, CAs conforming to
 *   this profile MUST NOT generate them).
 * - serial (§4.1.2.2): positive, non-zero, 8..20 content octets (64-bit CSPRNG floor, CA/B BR
 *   §7.1; the 20-octet ceiling includes a sign octet).
 * - signature (§4.1.2.3): equals the AlgorithmIdentifier the issuer key signs with.
 * - issuer (§4.1.2.4): byte-equal to the issuer certificate's subject.
 * - validity (§4.1.2.5): notBefore < notAfter, inside the issuer's validity; UTCTime for years
 *   through 2049 and GeneralizedTime from 2050 (§4.1.2.5.1/.2).
 * - subjectPublicKeyInfo (§4.1.2.7): the key the CSR proved possession of, byte for byte.
 * - subject (§4.1.2.6): non-empty, or a subjectAltName is present.
 */
import { OID } from '../asn1/index.ts';
import type { LintRule } from './types.ts';

const yearTag = (d: Date): number => (d.getUTCFullYear() >= 1950 && d.getUTCFullYear() <= 2049 ? 0x17 : 0x18);

export const tbsRules: LintRule[] = [
  {
    id: 'version.v3',
    check(t, _c, report) {
      if (t.version !== 2) report(`version must be v3, is v${t.version + 1}`);
      if (t.uniqueIds) report('issuerUniqueID/subjectUniqueID must not be present');
    },
  },
  {
    id: 'serial.positive',
    check(t, _c, report) {
      if ((t.serialContent[0] as number) & 0x80) report('serial number is negative');
    },
  },
  {
    id: 'serial.nonzero',
    check(t, _c, report) {
      if (t.serialContent.every((b) => b === 0)) report('serial number is zero');
    },
  },
  {
    id: 'serial.length',
    check(t, _c, report) {
      const n = t.serialContent.length;
      if (n < 8 || n > 20) report(`serial number has ${n} content octets, must be 8..20`);
    },
  },
  {
    id: 'signature.algorithm',
    check(t, c, report) {
      if (!t.signatureAlgorithm.equals(c.issuer.signatureAlgorithm)) report('signature algorithm does not match the issuer key');
    },
  },
  {
    id: 'issuer.name',
    check(t, c, report) {
      if (!t.issuerDer.equals(c.issuer.nameDer)) report('issuer name differs from the issuer certificate subject');
    },
  },
  {
    id: 'validity.order',
    check(t, _c, report) {
      if (!(t.notBefore.getTime() < t.notAfter.getTime())) report('notBefore is not before notAfter');
    },
  },
  {
    id: 'validity.issuer',
    check(t, c, report) {
      if (t.notBefore < c.issuer.notBefore) report('notBefore is before the issuer notBefore');
      if (t.notAfter > c.issuer.notAfter) report('notAfter is after the issuer notAfter');
    },
  },
  {
    id: 'time.encoding',
    check(t, _c, report) {
      if (t.notBeforeTag !== yearTag(t.notBefore)) report('notBefore uses the wrong time type for its year');
      if (t.notAfterTag !== yearTag(t.notAfter)) report('notAfter uses the wrong time type for its year');
    },
  },
  {
    id: 'spki.match',
    check(t, c, report) {
      if (c.spkiDer && !t.spkiDer.equals(c.spkiDer)) report('subjectPublicKeyInfo differs from the CSR key');
    },
  },
  {
    id: 'subject.or.san',
    check(t, _c, report) {
      const empty = t.subjectDer.length === 2;
      if (empty && !t.extensions.some((e) => e.oid === OID.subjectAltName)) report('empty subject without subjectAltName');
    },
  },
];
