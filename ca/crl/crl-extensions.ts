/**
 * CRL extensions (crlExtensions [0] EXPLICIT of TBSCertList) on the owned DER writer.
 *
 * Rules enforced:
 * - RFC 5280 §5.2.1: authorityKeyIdentifier with keyIdentifier = the issuer's actual SKI,
 *   non-critical (conforming CRL issuers MUST include it).
 * - §5.2.3: cRLNumber, non-critical, a non-negative INTEGER of at most 20 octets; complete and
 *   delta CRLs of one scope share one sequence.
 * - §5.2.4: deltaCRLIndicator is CRITICAL and holds the BaseCRLNumber; it only appears in deltas,
 *   and the base number is lower than the delta's own number.
 * - §5.2.5: issuingDistributionPoint is CRITICAL. distributionPoint fullName is exactly the URI
 *   placed in the certificates' cRLDistributionPoints (OpenSSL and Windows match the two), and
 *   onlyContainsUserCerts is TRUE: the issuing CA only issues end-entity certificates, and the
 *   certificates carry basicConstraints cA FALSE / no CA bit. Delta CRLs carry the same IDP.
 * - §5.2.6: freshestCRL (non-critical) points complete CRLs to their delta CRL; it MUST NOT
 *   appear in a delta CRL.
 * - Extension.critical is omitted when FALSE (DER DEFAULT, X.690 §11.5).
 * - URIs are absolute http(s) URLs in printable ASCII (IA5String, RFC 5280 §4.2.1.6).
 * - Extension and URI encoding are the certificate ones (ca/extensions.ts), not copies.
 */
import { AppError } from '../../platform/errors.ts';
import { contextPrimitive, explicit, integer, OID, seq, tlv } from '../asn1/index.ts';
import { encodeExtension, uriName } from '../extensions.ts';

const bad = (msg: string): AppError => new AppError('ERR_BAD_INPUT', msg);

/** The largest CRL number RFC 5280 §5.2.3 allows (20 octets, positive). */
export const MAX_CRL_NUMBER = (1n << 159n) - 1n;

const extension = (oidDotted: string, critical: boolean, value: Buffer): Buffer => encodeExtension({ oid: oidDotted, critical, value });

function crlNumberValue(n: bigint): Buffer {
  if (n < 0n || n > MAX_CRL_NUMBER) throw bad('CRL number out of range (0..2^159-1)');
  return integer(n);
}

/** DistributionPointName { fullName [0] GeneralNames } as the [0] field of a (Issuing)DistributionPoint. */
const dpName = (url: string): Buffer => explicit(0, tlv(0xa0, uriName(url)));

export interface CrlExtensionInput {
  issuerSki: Buffer;
  number: bigint;
  idpUrl: string;
  freshestUrl?: string | undefined;
  baseNumber?: bigint | undefined;
}

/** The complete `[0] EXPLICIT Extensions` of a TBSCertList. */
export function encodeCrlExtensions(i: CrlExtensionInput): Buffer {
  if (!Buffer.isBuffer(i.issuerSki) || i.issuerSki.length === 0) throw bad('issuer SKI missing (RFC 5280 §5.2.1)');
  const exts: Buffer[] = [
    extension(OID.authorityKeyIdentifier, false, seq(contextPrimitive(0, i.issuerSki))),
    extension(OID.cRLNumber, false, crlNumberValue(i.number)),
  ];
  if (i.baseNumber !== undefined) {
    if (i.freshestUrl !== undefined) throw bad('freshestCRL must not appear in a delta CRL (RFC 5280 §5.2.6)');
    if (i.baseNumber >= i.number) throw bad('delta CRL number must be above its base CRL number');
    exts.push(extension(OID.deltaCRLIndicator, true, crlNumberValue(i.baseNumber)));
  }
  // IssuingDistributionPoint { distributionPoint [0], onlyContainsUserCerts [1] IMPLICIT BOOLEAN TRUE }
  exts.push(
    extension(OID.issuingDistributionPoint, true, seq(dpName(i.idpUrl), contextPrimitive(1, Buffer.from([0xff])))),
  );
  if (i.freshestUrl !== undefined) exts.push(extension(OID.freshestCRL, false, seq(seq(dpName(i.freshestUrl)))));
  return explicit(0, seq(...exts));
}
