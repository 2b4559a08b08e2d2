/**
 * Strict parse of a Certificate / TBSCertificate back into its fields (for lint, issuer
 * registration and statusOfCert). Every failure is AppError('ERR_DER_MALFORMED').
 *
 * Rules enforced:
 * - RFC 5280 §4.1: Certificate is exactly { tbsCertificate, signatureAlgorithm, signatureValue };
 *   strict DER everywhere (ca/asn1 reader: minimal lengths and integers, no trailing bytes).
 * - §4.1.2: TBSCertificate fields in order; version [0] EXPLICIT optional (v1 when absent);
 *   issuerUniqueID [1] / subjectUniqueID [2] are accepted and reported, extensions [3] last.
 * - §4.1.2.5: each validity time is UTCTime or GeneralizedTime; the tag is kept so that lint can
 *   check the per-year rule.
 * - §4.1.2.9 / §4.2: Extension { extnID, critical DEFAULT FALSE (absent when FALSE), extnValue };
 *   extnValue must itself be exactly one DER value.
 * - Serial content octets are kept raw (sign and length are lint findings, not parse errors).
 */
import * as der from './asn1/index.ts';
import type { Tlv } from './asn1/index.ts';

export interface ParsedExtension {
  oid: string;
  critical: boolean;
  /** True when critical was encoded explicitly as FALSE (a DER violation lint reports). */
  explicitFalse: boolean;
  value: Buffer;
}

export interface ParsedTbs {
  version: number;
  /** INTEGER content octets (two's complement), as encoded. */
  serialContent: Buffer;
  signatureAlgorithm: Buffer;
  issuerDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** 0x17 UTCTime or 0x18 GeneralizedTime. */
  notBeforeTag: number;
  notAfterTag: number;
  subjectDer: Buffer;
  spkiDer: Buffer;
  /** subjectPublicKey BIT STRING value (the octets hashed for SKI and OCSP keyHash). */
  publicKeyBits: Buffer;
  uniqueIds: boolean;
  extensions: ParsedExtension[];
}

export interface ParsedCertificate {
  der: Buffer;
  tbsDer: Buffer;
  tbs: ParsedTbs;
  signatureAlgorithm: Buffer;
  signature: Buffer;
}

function extensionsOf(buf: Buffer, t: Tlv): ParsedExtension[] {
  const [list, ...rest] = der.children(buf, t, 0xa3);
  if (!list || rest.length) der.fail('extensions wrapper');
  const exts = der.children(buf, list, 0x30);
  if (exts.length === 0) der.fail('empty extensions');
  return exts.map((e) => {
    const f = der.children(buf, e, 0x30);
    if (f.length < 2 || f.length > 3) der.fail('Extension');
    const critT = f.length === 3 ? f[1] : undefined;
    const critical = critT ? der.readBoolean(buf, critT) : false;
    const value = der.readOctetString(buf, f[f.length - 1] as Tlv);
    der.parseDerExact(value);
    return { oid: der.readOid(buf, f[0] as Tlv), critical, explicitFalse: critT !== undefined && !critical, value };
  });
}

export function parseTbs(buf: Buffer, t: Tlv = der.parseDerExact(buf)): ParsedTbs {
  const f = der.children(buf, t, 0x30);
  let i = 0;
  let version = 0;
  if (f[0]?.id === 0xa0) {
    const [v, ...more] = der.children(buf, f[0]);
    if (!v || more.length) der.fail('version');
    version = der.readSmallInt(buf, v);
    i = 1;
  }
  const [serialT, algT, issuerT, validityT, subjectT, spkiT] = f.slice(i, i + 6);
  if (!serialT || !algT || !issuerT || !validityT || !subjectT || !spkiT) return der.fail('TBSCertificate fields');
  if (serialT.id !== 0x02 || serialT.len === 0) der.fail('serialNumber');
  der.children(buf, algT, 0x30);
  der.children(buf, issuerT, 0x30);
  der.children(buf, subjectT, 0x30);
  const [nbT, naT, ...vrest] = der.children(buf, validityT, 0x30);
  if (!nbT || !naT || vrest.length) der.fail('Validity');
  const [spkiAlg, keyT, ...krest] = der.children(buf, spkiT, 0x30);
  if (!spkiAlg || !keyT || krest.length) der.fail('SubjectPublicKeyInfo');
  let rest = f.slice(i + 6);
  const uniqueIds = rest.some((x) => x.id === 0x81 || x.id === 0xa1 || x.id === 0x82 || x.id === 0xa2);
  rest = rest.filter((x) => !(x.id === 0x81 || x.id === 0xa1 || x.id === 0x82 || x.id === 0xa2));
  if (rest.length > 1 || (rest[0] && rest[0].id !== 0xa3)) der.fail('unexpected TBSCertificate field');
  return {
    version,
    serialContent: der.contentOf(buf, serialT),
    signatureAlgorithm: der.rawOf(buf, algT),
    issuerDer: der.rawOf(buf, issuerT),
    notBefore: der.readTime(buf, nbT),
    notAfter: der.readTime(buf, naT),
    notBeforeTag: nbT.id,
    notAfterTag: naT.id,
    subjectDer: der.rawOf(buf, subjectT),
    spkiDer: der.rawOf(buf, spkiT),
    publicKeyBits: der.readBitString(buf, keyT).bytes,
    uniqueIds,
    extensions: rest[0] ? extensionsOf(buf, rest[0]) : [],
  };
}

export function parseCertificate(input: Buffer): ParsedCertificate {
  const buf = Buffer.from(input);
  const [tbsT, algT, sigT, ...rest] = der.children(buf, der.parseDerExact(buf), 0x30);
  if (!tbsT || !algT || !sigT || rest.length) return der.fail('Certificate');
  const { unusedBits, bytes } = der.readBitString(buf, sigT);
  if (unusedBits) der.fail('signature has unused bits');
  return {
    der: buf,
    tbsDer: der.rawOf(buf, tbsT),
    tbs: parseTbs(buf, tbsT),
    signatureAlgorithm: der.rawOf(buf, der.expectId(algT, 0x30, 'AlgorithmIdentifier')),
    signature: bytes,
  };
}

/** The value of the first extension with `oid`, or undefined. */
export function findExtension(tbs: ParsedTbs, oid: string): ParsedExtension | undefined {
  return tbs.extensions.find((e) => e.oid === oid);
}

/** keyIdentifier [0] of an AuthorityKeyIdentifier value, or undefined. */
export function akiKeyId(value: Buffer): Buffer | undefined {
  const kid = der.children(value, der.parseDerExact(value), 0x30).find((x) => x.id === 0x80);
  return kid ? der.contentOf(value, kid) : undefined;
}

/** basicConstraints value as { ca, pathLen }. */
export function readBasicConstraints(value: Buffer): { ca: boolean; pathLen: number | undefined } {
  const f = der.children(value, der.parseDerExact(value), 0x30);
  let ca = false;
  let k = 0;
  if (f[0]?.id === 0x01) {
    ca = der.readBoolean(value, f[0]);
    k = 1;
  }
  const pathLen = f[k] ? der.readSmallInt(value, f[k] as Tlv) : undefined;
  if (f.length > k + 1) der.fail('BasicConstraints');
  return { ca, pathLen };
}
