/**
 * OCSP response encoding (RFC 6960 §4.2, RFC 5019 §2.2) with the owned DER writer.
 *
 * Rules enforced:
 * - Non-successful statuses (malformedRequest 1, internalError 2, tryLater 3, sigRequired 5,
 *   unauthorized 6) are a bare OCSPResponse without responseBytes (§4.2.1); built once.
 * - successful carries id-pkix-ocsp-basic: ResponseData v1 (version omitted, DER DEFAULT),
 *   responderID byKey [2] = SHA-1 of the responder's subjectPublicKey BIT STRING value
 *   (§4.2.1, RFC 5019 §2.2.2), producedAt, one SingleResponse per CertID and the nonce extension
 *   echoed (RFC 8954 §2.1) when the request had one.
 * - SingleResponse: certID echoed byte for byte; good [0] IMPLICIT NULL; revoked [1] IMPLICIT
 *   RevokedInfo { revocationTime, [0] EXPLICIT CRLReason } with the real reason, the reason
 *   omitted only for unspecified (as RFC 5280 §5.3.1 asks of CRL entries); unknown [2] IMPLICIT
 *   NULL; thisUpdate and nextUpdate [0] EXPLICIT.
 * - Every time is GeneralizedTime YYYYMMDDHHMMSSZ without fractions (RFC 5019 §2.2.4).
 * - signatureAlgorithm follows the responder key: ecdsa-with-SHA256/384/512 (no parameters,
 *   RFC 5758 §3.2), sha256WithRSAEncryption (NULL), Ed25519 (RFC 8410); the delegated responder
 *   certificate goes in certs [0] (§4.2.2.2) so clients can check its EKU and issuer.
 * Speed: everything fixed per responder (responderID, algorithm, certs) is encoded once in a
 * ResponderTemplate; producedAt is re-encoded at most once a second; live responses can be signed
 * off the main thread (signedResponseAsync: Node's crypto.sign on the libuv pool).
 */
import { createHash } from 'node:crypto';
import type { Signer } from '../../platform/crypto.ts';
import * as der from '../asn1/index.ts';
import { OID } from '../asn1/index.ts';
import { signatureAlgorithmFor } from '../cert-builder.ts';

export const OCSP_RESPONSE_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;
export type OcspResponseStatus = keyof typeof OCSP_RESPONSE_STATUS;
export type OcspErrorStatus = Exclude<OcspResponseStatus, 'successful'>;

const ERROR_DER = new Map<OcspErrorStatus, Buffer>(
  (Object.keys(OCSP_RESPONSE_STATUS) as OcspResponseStatus[])
    .filter((s): s is OcspErrorStatus => s !== 'successful')
    .map((s) => [s, der.seq(der.enumerated(OCSP_RESPONSE_STATUS[s]))]),
);

/** OCSPResponse with a non-successful status and no responseBytes (shared Buffer: read-only). */
export function errorResponse(status: OcspErrorStatus): Buffer {
  return ERROR_DER.get(status) as Buffer;
}

/** Status of one certificate; `reason` is the RFC 5280 CRLReason code (0 = unspecified: omitted). */
export type SingleStatus =
  { kind: 'good' } | { kind: 'revoked'; revokedAt: Date; reason: number | null } | { kind: 'unknown' };

const GOOD = Buffer.from([0x80, 0x00]);
const UNKNOWN = Buffer.from([0x82, 0x00]);

function certStatus(s: SingleStatus): Buffer {
  if (s.kind === 'good') return GOOD;
  if (s.kind === 'unknown') return UNKNOWN;
  const reason = s.reason ? der.explicit(0, der.enumerated(s.reason)) : undefined;
  return der.tlv(0xa1, der.generalizedTime(s.revokedAt), ...(reason ? [reason] : []));
}

/** SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate, nextUpdate [0] EXPLICIT OPTIONAL } */
export function singleResponse(
  certIdDer: Buffer,
  status: SingleStatus,
  thisUpdate: Date,
  nextUpdate: Date | null,
): Buffer {
  const parts = [certIdDer, certStatus(status), genTime(thisUpdate)];
  if (nextUpdate) parts.push(der.explicit(0, genTime(nextUpdate)));
  return der.seq(...parts);
}

/** What stays the same across every response a delegated responder signs. */
export interface ResponderTemplate {
  signer: Signer;
  /** ResponderID byKey: [2] EXPLICIT OCTET STRING (SHA-1 of the public key BIT STRING value). */
  responderId: Buffer;
  keyHash: Buffer;
  sigAlg: Buffer;
  /** certs [0] EXPLICIT SEQUENCE OF Certificate, or empty when no certificate is sent. */
  certs: Buffer;
  /** Signs without blocking the event loop when the key allows it (same output as signer.sign). */
  signAsync: ((data: Buffer) => Promise<Buffer>) | null;
}

/** SHA-1 of the subjectPublicKey BIT STRING value of a SubjectPublicKeyInfo (RFC 6960 §4.2.1). */
export function publicKeyHash(spkiDer: Buffer, alg: 'sha1' | 'sha256' = 'sha1'): Buffer {
  const [, keyT] = der.children(spkiDer, der.parseDerExact(spkiDer), 0x30);
  if (!keyT) return der.fail('SubjectPublicKeyInfo');
  return createHash(alg).update(der.readBitString(spkiDer, keyT).bytes).digest();
}

/** AlgorithmIdentifier of the signatures `signer` makes (also used for the responder's CSR). */
export function signatureAlgorithm(signer: Signer): Buffer {
  return signatureAlgorithmFor(signer.algorithm, signer.digest);
}

export function responderTemplate(
  signer: Signer,
  certs: Buffer[],
  signAsync: ResponderTemplate['signAsync'] = null,
): ResponderTemplate {
  const keyHash = publicKeyHash(signer.spki);
  return {
    signer,
    signAsync,
    keyHash,
    responderId: der.explicit(2, der.octetString(keyHash)),
    sigAlg: signatureAlgorithm(signer),
    certs: certs.length ? der.explicit(0, der.seq(...certs)) : Buffer.alloc(0),
  };
}

const BASIC_OID = der.oid(OID.ocspBasic);
const NONCE_OID = der.oid(OID.ocspNonce);
const SUCCESSFUL = der.enumerated(0);

/** ResponseData { responderID, producedAt, responses, [1] { nonce } } — what gets signed. */
function tbsResponseData(
  t: ResponderTemplate,
  singles: Buffer[],
  producedAt: Date,
  nonceExtnValue: Buffer | null,
): Buffer {
  const parts = [t.responderId, genTime(producedAt), der.seq(...singles)];
  if (nonceExtnValue) parts.push(der.explicit(1, der.seq(der.seq(NONCE_OID, der.octetString(nonceExtnValue)))));
  return der.seq(...parts);
}

/** BasicOCSPResponse in ResponseBytes in a successful OCSPResponse. */
function assemble(t: ResponderTemplate, tbs: Buffer, sig: Buffer): Buffer {
  const basic = der.seq(tbs, t.sigAlg, der.bitString(sig), t.certs);
  return der.seq(SUCCESSFUL, der.explicit(0, der.seq(BASIC_OID, der.octetString(basic))));
}

/** A signed, successful OCSPResponse (signed on the calling thread). */
export function signedResponse(
  t: ResponderTemplate,
  singles: Buffer[],
  producedAt: Date,
  nonceExtnValue: Buffer | null,
): Buffer {
  const tbs = tbsResponseData(t, singles, producedAt, nonceExtnValue);
  return assemble(t, tbs, t.signer.sign(tbs));
}

/** The same, signed off the event loop when the template can (else on the calling thread). */
export async function signedResponseAsync(
  t: ResponderTemplate,
  singles: Buffer[],
  producedAt: Date,
  nonceExtnValue: Buffer | null,
): Promise<Buffer> {
  const tbs = tbsResponseData(t, singles, producedAt, nonceExtnValue);
  return assemble(t, tbs, t.signAsync ? await t.signAsync(tbs) : t.signer.sign(tbs));
}

let lastSecond = -1;
let lastTime: Buffer = Buffer.alloc(0);

/** GeneralizedTime without fractions; the encoding of the current second is reused. */
export function genTime(d: Date): Buffer {
  const sec = Math.floor(d.getTime() / 1000);
  if (sec === lastSecond) return lastTime;
  const enc = der.generalizedTime(d);
  if (sec >= lastSecond) {
    lastSecond = sec;
    lastTime = enc;
  }
  return enc;
}
