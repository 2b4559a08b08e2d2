/**
 * Certificate extension encoders (the extnValue contents) on the owned DER writer.
 *
 * Rules enforced:
 * - Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING };
 *   critical is omitted when FALSE (DER DEFAULT, X.690 §11.5) (RFC 5280 §4.1.2.9, §4.2).
 * - basicConstraints (§4.2.1.9): cA DEFAULT FALSE omitted when false; pathLenConstraint only
 *   with cA TRUE.
 * - keyUsage (§4.2.1.3): named bit list, trailing zero bits removed (X.690 §11.2.2), at least
 *   one bit set.
 * - extKeyUsage (§4.2.1.12): SEQUENCE SIZE (1..MAX) OF KeyPurposeId, no duplicates.
 * - subjectKeyIdentifier (§4.2.1.2) OCTET STRING; authorityKeyIdentifier (§4.2.1.1) with
 *   keyIdentifier [0] only (the issuer's own SKI).
 * - cRLDistributionPoints (§4.2.1.13): one DistributionPoint, fullName [0] of URIs; no reasons,
 *   no cRLIssuer. authorityInfoAccess (§4.2.2.1): AccessDescriptions with URI locations.
 * - id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): value NULL.
 * - URIs are IA5 (RFC 5280 §4.2.1.6) and must be absolute http(s) URLs here.
 */
import { AppError } from '../platform/errors.ts';
import { bool, contextPrimitive, explicit, integer, namedBits, nullDer, octetString, oid, seq, tlv } from './asn1/index.ts';
import { OID } from './asn1/index.ts';

export interface CertExtension {
  oid: string;
  critical: boolean;
  /** DER of the extension value (the content of extnValue). */
  value: Buffer;
}

export const KEY_USAGE_BITS = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;
export type KeyUsageName = keyof typeof KEY_USAGE_BITS;

const bad = (msg: string): AppError => new AppError('ERR_BAD_INPUT', msg);

/** The DER of one Extension. */
export function encodeExtension(e: CertExtension): Buffer {
  return e.critical ? seq(oid(e.oid), bool(true), octetString(e.value)) : seq(oid(e.oid), octetString(e.value));
}

export function basicConstraints(ca: boolean, pathLen?: number, critical = true): CertExtension {
  if (pathLen !== undefined && (!ca || !Number.isInteger(pathLen) || pathLen < 0)) throw bad('pathLenConstraint needs cA and a non-negative integer');
  const parts: Buffer[] = [];
  if (ca) parts.push(bool(true));
  if (pathLen !== undefined) parts.push(integer(pathLen));
  return { oid: OID.basicConstraints, critical, value: seq(...parts) };
}

export function keyUsage(usages: readonly KeyUsageName[], critical = true): CertExtension {
  if (usages.length === 0) throw bad('keyUsage needs at least one bit');
  return { oid: OID.keyUsage, critical, value: namedBits(usages.map((u) => KEY_USAGE_BITS[u])) };
}

export function extKeyUsage(purposes: readonly string[], critical = false): CertExtension {
  if (purposes.length === 0 || new Set(purposes).size !== purposes.length) throw bad('extKeyUsage needs distinct purposes');
  return { oid: OID.extKeyUsage, critical, value: seq(...purposes.map((p) => oid(p))) };
}

export function subjectKeyId(ski: Buffer): CertExtension {
  return { oid: OID.subjectKeyIdentifier, critical: false, value: octetString(ski) };
}

export function authorityKeyId(issuerSki: Buffer): CertExtension {
  return { oid: OID.authorityKeyIdentifier, critical: false, value: seq(contextPrimitive(0, issuerSki)) };
}

/** subjectAltName from an already-encoded GeneralNames (ca/asn1 encodeGeneralNames). */
export function subjectAltName(generalNamesDer: Buffer, critical: boolean): CertExtension {
  return { oid: OID.subjectAltName, critical, value: generalNamesDer };
}

/** GeneralName uniformResourceIdentifier [6] IA5String of an absolute http(s) ASCII URL. */
export function uriName(url: string): Buffer {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad(`invalid URL ${url}`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !/^[\x21-\x7e]+$/.test(url)) throw bad(`URL must be absolute http(s) ASCII: ${url}`);
  return contextPrimitive(6, Buffer.from(url, 'latin1'));
}

export function crlDistributionPoints(urls: readonly string[]): CertExtension {
  if (urls.length === 0) throw bad('CRL distribution point needs a URL');
  // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }
  const dp = seq(explicit(0, tlv(0xa0, ...urls.map(uriName))));
  return { oid: OID.cRLDistributionPoints, critical: false, value: seq(dp) };
}

export function authorityInfoAccess(access: { ocsp?: readonly string[]; caIssuers?: readonly string[] }): CertExtension {
  const ads: Buffer[] = [];
  for (const u of access.ocsp ?? []) ads.push(seq(oid(OID.adOcsp), uriName(u)));
  for (const u of access.caIssuers ?? []) ads.push(seq(oid(OID.adCaIssuers), uriName(u)));
  if (ads.length === 0) throw bad('authorityInfoAccess needs an access description');
  return { oid: OID.authorityInfoAccess, critical: false, value: seq(...ads) };
}

export function ocspNoCheck(): CertExtension {
  return { oid: OID.ocspNoCheck, critical: false, value: nullDer() };
}

/** The URLs this CA publishes for an issuer (one place, shared by profiles and lint). */
export function issuerUrls(publicUrl: string, issuerId: string): { crl: string; ocsp: string; caIssuers: string } {
  const base = publicUrl.replace(/\/+$/, '');
  return { crl: `${base}/crl/${issuerId}.crl`, ocsp: `${base}/ocsp`, caIssuers: `${base}/ca/${issuerId}.crt` };
}
