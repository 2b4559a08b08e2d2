/**
 * Strict parser for the CRLs this CA writes (and well-formed v2 CRLs in general): used by tests,
 * tooling and operators to check a published CRL without OpenSSL.
 *
 * Rules enforced (any violation throws AppError ERR_DER_MALFORMED, never anything else):
 * - RFC 5280 §5.1: exactly one CertificateList, no trailing data; the inner and outer
 *   AlgorithmIdentifiers are byte-identical (§5.1.1.2); version is v2 when present (§5.1.2.1).
 * - §5.1.2.4 / §5.1.2.5: thisUpdate required, nextUpdate optional, both Time.
 * - §5.1.2.6: revokedCertificates, when present, is non-empty; serials are non-negative.
 * - §5.2 / §5.3: extension OIDs unique per list; reasonCode ENUMERATED 0..10 except 7;
 *   invalidityDate GeneralizedTime; a critical extension this parser does not know is refused
 *   (§5.2: a CRL with an unrecognised critical extension must not be used).
 */
import { verify, type KeyObject } from 'node:crypto';
import { AppError, isAppError } from '../../platform/errors.ts';
import * as der from '../asn1/index.ts';
import { OID, type Tlv } from '../asn1/index.ts';
import { REVOCATION_REASONS, type RevocationReason } from '../types.ts';

export interface ParsedCrlEntry {
  serial: string;
  revokedAt: Date;
  reason: RevocationReason | null;
  invalidityDate: Date | null;
}

export interface ParsedCrl {
  tbsDer: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  issuerDer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | null;
  entries: ParsedCrlEntry[];
  number: bigint | null;
  baseNumber: bigint | null;
  akiKeyId: Buffer | null;
  idp: { urls: string[]; onlyContainsUserCerts: boolean } | null;
  freshestUrls: string[];
  critical: string[];
}

const REASON_NAMES = new Map<number, RevocationReason>(
  Object.entries(REVOCATION_REASONS).map(([k, v]) => [v, k as RevocationReason]),
);
const KNOWN_CRITICAL = new Set<string>([OID.deltaCRLIndicator, OID.issuingDistributionPoint]);
const fail = der.fail;

interface Ext {
  oid: string;
  critical: boolean;
  value: Buffer;
}

function readExtensions(buf: Buffer, t: Tlv): Ext[] {
  const out: Ext[] = [];
  const seen = new Set<string>();
  for (const e of der.children(buf, t, 0x30)) {
    const f = der.children(buf, der.expectId(e, 0x30, 'Extension'));
    if (f.length < 2 || f.length > 3) fail('Extension field count');
    const id = der.readOid(buf, f[0]!);
    if (seen.has(id)) fail('duplicate extension ' + id);
    seen.add(id);
    const critical = f.length === 3 ? der.readBoolean(buf, f[1]!) : false;
    out.push({ oid: id, critical, value: der.readOctetString(buf, f[f.length - 1]!) });
  }
  return out;
}

const exact = (value: Buffer): Tlv => der.parseDerExact(value);

/** GeneralNames containing only URIs (other name forms are ignored). */
function uris(buf: Buffer, t: Tlv): string[] {
  return der
    .children(buf, t)
    .filter((g) => g.id === 0x86)
    .map((g) => der.contentOf(buf, g).toString('latin1'));
}

/** fullName [0] inside a DistributionPointName [0]. */
function dpUrls(buf: Buffer, t: Tlv): string[] {
  const names = der.children(buf, der.expectId(t, 0xa0, 'distributionPoint [0]'));
  if (names.length !== 1) fail('DistributionPointName');
  return names[0]!.id === 0xa0 ? uris(buf, names[0]!) : [];
}

function entryOf(buf: Buffer, t: Tlv): ParsedCrlEntry {
  const f = der.children(buf, der.expectId(t, 0x30, 'revoked entry'));
  if (f.length < 2 || f.length > 3) fail('revoked entry field count');
  const serial = der
    .readUnsigned(buf, f[0]!)
    .toString('hex')
    .replace(/^0+(?=.)/, '');
  const e: ParsedCrlEntry = { serial, revokedAt: der.readTime(buf, f[1]!), reason: null, invalidityDate: null };
  for (const x of f[2] ? readExtensions(buf, f[2]) : []) {
    const v = exact(x.value);
    if (x.oid === OID.reasonCode) {
      if (v.id !== 0x0a) fail('reasonCode must be ENUMERATED');
      e.reason = REASON_NAMES.get(der.readSmallInt(x.value, v)) ?? fail('unknown reasonCode');
    } else if (x.oid === OID.invalidityDate) {
      if (v.id !== 0x18) fail('invalidityDate must be GeneralizedTime');
      e.invalidityDate = der.readTime(x.value, v);
    } else if (x.critical) fail('unknown critical entry extension ' + x.oid);
  }
  return e;
}

function parse(buf: Buffer): ParsedCrl {
  const top = der.children(buf, der.expectId(der.parseDerExact(buf), 0x30, 'CertificateList'));
  if (top.length !== 3) fail('CertificateList field count');
  const [tbsT, algT, sigT] = top as [Tlv, Tlv, Tlv];
  const tbs = der.children(buf, der.expectId(tbsT, 0x30, 'TBSCertList'));
  let i = 0;
  if (tbs[i]?.id === 0x02 && der.readSmallInt(buf, tbs[i++]!) !== 1) fail('CRL version must be v2');
  const inner = tbs[i++];
  if (!inner || !der.rawOf(buf, inner).equals(der.rawOf(buf, algT))) fail('signature algorithms differ');
  const algFields = der.children(buf, der.expectId(algT, 0x30, 'AlgorithmIdentifier'));
  const issuerT = der.expectId(tbs[i++] ?? fail('issuer missing'), 0x30, 'issuer Name');
  const thisUpdate = der.readTime(buf, tbs[i++] ?? fail('thisUpdate missing'));
  const nextUpdate = tbs[i] && (tbs[i]!.id === 0x17 || tbs[i]!.id === 0x18) ? der.readTime(buf, tbs[i++]!) : null;
  const out: ParsedCrl = {
    tbsDer: der.rawOf(buf, tbsT),
    signatureAlgorithm: der.readOid(buf, algFields[0] ?? fail('AlgorithmIdentifier empty')),
    signature: der.readBitString(buf, sigT).bytes,
    issuerDer: der.rawOf(buf, issuerT),
    thisUpdate,
    nextUpdate,
    entries: [],
    number: null,
    baseNumber: null,
    akiKeyId: null,
    idp: null,
    freshestUrls: [],
    critical: [],
  };
  if (tbs[i]?.id === 0x30) {
    const list = der.children(buf, tbs[i++]!);
    if (list.length === 0) fail('empty revokedCertificates');
    for (const e of list) out.entries.push(entryOf(buf, e));
  }
  if (tbs[i]?.id === 0xa0) {
    const exts = der.children(buf, tbs[i++]!);
    if (exts.length !== 1) fail('crlExtensions');
    for (const x of readExtensions(buf, exts[0]!)) crlExtension(out, x);
  }
  if (i !== tbs.length) fail('unexpected TBSCertList field');
  return out;
}

function crlExtension(out: ParsedCrl, x: Ext): void {
  const v = exact(x.value);
  const b = x.value;
  if (x.critical) out.critical.push(x.oid);
  if (x.oid === OID.cRLNumber) out.number = der.readInteger(b, v);
  else if (x.oid === OID.deltaCRLIndicator) out.baseNumber = der.readInteger(b, v);
  else if (x.oid === OID.authorityKeyIdentifier) {
    const k = der.children(b, der.expectId(v, 0x30, 'AKI')).find((c) => c.id === 0x80);
    out.akiKeyId = k ? der.contentOf(b, k) : null;
  } else if (x.oid === OID.issuingDistributionPoint) {
    const idp = { urls: [] as string[], onlyContainsUserCerts: false };
    for (const f of der.children(b, der.expectId(v, 0x30, 'IDP'))) {
      if (f.id === 0xa0) idp.urls = dpUrls(b, f);
      else if (f.id === 0x81) idp.onlyContainsUserCerts = f.len === 1 && b[f.contentStart] === 0xff;
    }
    out.idp = idp;
  } else if (x.oid === OID.freshestCRL) {
    for (const dp of der.children(b, der.expectId(v, 0x30, 'FreshestCRL'))) {
      const first = der.children(b, der.expectId(dp, 0x30, 'DistributionPoint'))[0];
      if (first?.id === 0xa0) out.freshestUrls.push(...dpUrls(b, first));
    }
  } else if (x.critical && !KNOWN_CRITICAL.has(x.oid)) fail('unknown critical CRL extension ' + x.oid);
}

/** Parses a DER CRL; every failure is AppError ERR_DER_MALFORMED. */
export function parseCrl(input: Buffer): ParsedCrl {
  try {
    return parse(input);
  } catch (e) {
    if (isAppError(e, 'ERR_DER_MALFORMED')) throw e;
    throw new AppError('ERR_DER_MALFORMED', 'malformed CRL', { cause: e });
  }
}

/** True when the CRL's signature verifies with `publicKey` (digest per the issuer key). */
export function verifyCrlSignature(crl: ParsedCrl, publicKey: KeyObject, digest: string | null): boolean {
  return verify(digest, crl.tbsDer, publicKey, crl.signature);
}
