/**
 * Degenerate "certs-only" PKCS#7 SignedData: GetCACert with RA + CA certificates, and the
 * payload of a successful CertRep.
 *
 * Rules enforced:
 * - Shape (RFC 8894 §3.4, RFC 5652 §5.1): SignedData version 1, empty digestAlgorithms, id-data
 *   with no content, the certificates, empty signerInfos, no CRLs. DER with definite lengths.
 * - Certificate order is kept as given: GetCACert lists the RA certificate(s) before the CA
 *   (RFC 8894 §4.2.1.2, content type application/x-x509-ca-ra-cert); in a CertRep the issued
 *   certificate comes first (RFC 8894 §3.3.2 — clients such as micromdm take certificates[0]).
 * - At least one certificate (or, for GetCRL, at least one CRL); each input must be a single DER
 *   SEQUENCE of three elements (Certificate / CertificateList), checked before it is embedded.
 * - parseDegenerate accepts only this shape (no signers) and returns each certificate's bytes
 *   exactly as encoded; anything else is ERR_SCEP_BAD_MESSAGE. Input is size-capped.
 */
import { AppError } from '../../platform/errors.ts';
import { OID } from './attributes.ts';
import { DerError, decode, isUniversal, kids, raw } from './der.ts';
import { MAX_PKI_MESSAGE_BYTES } from './message.ts';
import { encodeSignedData, readSignedData } from './signed-data.ts';

const MAX_CERTS = 16;

function assertCertificate(der: Buffer): void {
  let ok = false;
  try {
    const node = decode(der);
    ok = isUniversal(node, 16) && kids(node).length === 3;
  } catch {
    ok = false;
  }
  if (!ok) throw new AppError('ERR_BAD_INPUT', 'not a DER certificate');
}

/**
 * Certs-only SignedData (ContentInfo DER) carrying `certs` in the given order; with `crls` it is
 * the GetCRL payload (RFC 8894 §3.3.5: the CRL in the crls field, certificates may be empty).
 */
export function buildDegenerate(certs: readonly Buffer[], crls: readonly Buffer[] = []): Buffer {
  const min = crls.length > 0 ? 0 : 1;
  if (certs.length < min || certs.length > MAX_CERTS) throw new AppError('ERR_BAD_INPUT', 'need 1..16 certificates');
  if (crls.length > MAX_CERTS) throw new AppError('ERR_BAD_INPUT', 'too many CRLs');
  certs.forEach(assertCertificate);
  crls.forEach(assertCertificate); // CertificateList is also SEQUENCE { tbs, algorithm, signature }
  return encodeSignedData({ digests: [], certificates: [...certs], crls: [...crls], signerInfos: [] });
}

/** Certificates of a certs-only SignedData, in message order. */
export function parseDegenerate(der: Uint8Array, maxBytes = MAX_PKI_MESSAGE_BYTES): Buffer[] {
  if (!(der instanceof Uint8Array) || der.length === 0 || der.length > maxBytes) {
    throw new AppError('ERR_SCEP_BAD_MESSAGE', 'degenerate PKCS#7 empty or too large');
  }
  try {
    const sd = readSignedData(der);
    if (sd.eContentType !== OID.data || sd.eContent !== undefined || sd.signerInfos.length !== 0) {
      throw new DerError('not a certs-only SignedData');
    }
    if (sd.certificates.length === 0 || sd.certificates.length > MAX_CERTS) throw new DerError('certificate count');
    return sd.certificates.map((c) => {
      if (kids(c).length !== 3) throw new DerError('not a Certificate');
      return raw(c);
    });
  } catch (e) {
    throw new AppError('ERR_SCEP_BAD_MESSAGE', 'malformed degenerate PKCS#7', { cause: e });
  }
}
