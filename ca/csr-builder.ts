/**
 * PKCS#10 CertificationRequest builder on the owned DER writer (issuing-CA CSRs, test CSRs).
 *
 * Rules enforced:
 * - RFC 2986 §4.1: CertificationRequestInfo { version 0, subject, subjectPKInfo,
 *   attributes [0] IMPLICIT SET OF Attribute } (the [0] is always present, possibly empty);
 *   SET OF in DER order (X.690 §11.6).
 * - extensionRequest (RFC 2985 §5.4.2) carries one Extensions value; challengePassword
 *   (§5.4.1) a UTF8String.
 * - RFC 2986 §4.2: signed by the subject's own key (proof of possession) with the same
 *   algorithm identifiers as certificates (ca/cert-builder signatureAlgorithmFor).
 * The extension list is encoded as given (duplicates included): a builder, not a validator.
 */
import type { Signer } from '../platform/crypto.ts';
import { bitString, integer, oid, OID, seq, set, tlv, utf8String } from './asn1/index.ts';
import { signatureAlgorithmFor } from './cert-builder.ts';
import { encodeExtension, type CertExtension } from './extensions.ts';

export interface CsrInput {
  signer: Signer;
  subjectDer: Buffer;
  /** Defaults to the signer's SPKI (tests substitute other encodings). */
  spkiDer?: Buffer;
  extensions?: readonly CertExtension[];
  challengePassword?: string;
  /** Defaults to signatureAlgorithmFor(signer.algorithm). */
  signatureAlgorithm?: Buffer;
}

export function buildCsrInfo(i: CsrInput): Buffer {
  const attrs: Buffer[] = [];
  if (i.challengePassword !== undefined) attrs.push(seq(oid(OID.challengePassword), set(utf8String(i.challengePassword))));
  if (i.extensions && i.extensions.length) attrs.push(seq(oid(OID.extensionRequest), set(seq(...i.extensions.map(encodeExtension)))));
  attrs.sort(Buffer.compare);
  return seq(integer(0), i.subjectDer, i.spkiDer ?? i.signer.spki, tlv(0xa0, ...attrs));
}

export function buildCsr(i: CsrInput): Buffer {
  const info = buildCsrInfo(i);
  return seq(info, i.signatureAlgorithm ?? signatureAlgorithmFor(i.signer.algorithm), bitString(i.signer.sign(info)));
}
