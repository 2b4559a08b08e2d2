/**
 * parsePkiMessage: a SCEP request pkiMessage (RFC 8894 §3.2) → verified, decrypted fields.
 *
 * Rules enforced:
 * - Size cap before any parsing (default 256 KiB); the whole buffer must be one ContentInfo.
 * - Order: structure → SCEP attributes → signature (with the certificate the message carries)
 *   → envelope. The envelope is only opened for a correctly signed message.
 * - Request attributes (RFC 8894 §3.2.1): transactionID (sane length/charset), messageType
 *   (RenewalReq 17, PKCSReq 19, CertPoll 20, GetCert 21, GetCRL 22), senderNonce (16 octets).
 * - pkcsPKIEnvelope content (RFC 8894 §3.3): PKCSReq/RenewalReq → PKCS#10 CertificationRequest
 *   (RFC 2986 §4.2; returned as raw DER, its self-signature and policy are the CA's job);
 *   CertPoll → IssuerAndSubject (§3.3.3); GetCert/GetCRL → IssuerAndSerialNumber (§3.3.4, §3.3.5).
 * - A decrypted envelope whose content does not parse fails exactly like a wrong key or bad CBC
 *   padding (no padding oracle, see envelope.ts).
 * - Every failure is an AppError with exactly one of ERR_SCEP_BAD_MESSAGE,
 *   ERR_SCEP_BAD_SIGNATURE, ERR_SCEP_BAD_RECIPIENT (never a raw exception). `detail.failInfo`
 *   suggests the CertRep failInfo, and once the attributes were readable `detail` also carries
 *   transactionId / senderNonce (hex) / messageType, so the router can answer with a CertRep
 *   FAILURE instead of an HTTP error (RFC 8894 §3.3.2).
 * - Whether the signer certificate is acceptable (self-signed for PKCSReq, issued by us and
 *   current for RenewalReq) is decided by the caller with `signerCertDer`.
 */
import type { KeyObject } from 'node:crypto';
import { AppError, type ErrorCode } from '../../platform/errors.ts';
import {
  MESSAGE_TYPE,
  OID,
  type RequestAttributes,
  type RequestMessageType,
  readRequestAttributes,
} from './attributes.ts';
import { type CertInfo, cachedCertInfo } from './cert-info.ts';
import type { ContentEncryption, ScepDigest } from './capabilities.ts';
import { DerError, decode, intBytes, isContext, isUniversal, raw, seqKids } from './der.ts';
import { type KeyTransport, openEnvelope, undecryptable } from './envelope.ts';
import { checkSignature, readSignedData, readSigner } from './signed-data.ts';

export const MAX_PKI_MESSAGE_BYTES = 256 * 1024;

/** The RA (decrypter/signer) identity: RSA certificate with keyEncipherment, and its key. */
export interface ScepRa {
  certDer: Buffer;
  key: KeyObject;
}

export interface ParseOptions {
  maxBytes?: number;
  /** Accept single DES-CBC envelopes (old clients, e.g. micromdm scepclient 2.1). Default false. */
  allowDesCbc?: boolean;
}

export interface PkiMessage {
  messageType: RequestMessageType;
  transactionId: string;
  senderNonce: Buffer;
  signerCertDer: Buffer;
  signerKey: KeyObject;
  /** The signer certificate's SubjectPublicKeyInfo as encoded (identifies the requester's key). */
  signerSpkiDer: Buffer;
  /** What the client used; mirror it in the CertRep when it is something we send. */
  digest: ScepDigest;
  contentEncryption: ContentEncryption;
  keyTransport: KeyTransport;
  csrDer?: Buffer;
  issuerAndSubject?: { issuerDer: Buffer; subjectDer: Buffer };
  issuerAndSerial?: { issuerDer: Buffer; serialHex: string };
}

const SCEP_CODES: readonly ErrorCode[] = ['ERR_SCEP_BAD_MESSAGE', 'ERR_SCEP_BAD_SIGNATURE', 'ERR_SCEP_BAD_RECIPIENT'];

function toScepError(e: unknown, known: RequestAttributes | undefined): AppError {
  const base =
    e instanceof AppError && SCEP_CODES.includes(e.code)
      ? e
      : new AppError('ERR_SCEP_BAD_MESSAGE', 'malformed pkiMessage', { cause: e, detail: { failInfo: 'badRequest' } });
  if (!known) return base;
  return new AppError(base.code, base.message, {
    cause: base.cause ?? base,
    detail: {
      ...base.detail,
      transactionId: known.transactionId,
      senderNonce: known.senderNonce.toString('hex'),
      messageType: known.messageType,
    },
  });
}

function readContent(type: RequestMessageType, plaintext: Buffer): Partial<PkiMessage> {
  const parts = seqKids(decode(plaintext));
  if (type === MESSAGE_TYPE.PKCSReq || type === MESSAGE_TYPE.RenewalReq) {
    // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
    const [info, alg, sig, extra] = parts;
    const infoParts = seqKids(info);
    if (
      !isUniversal(alg, 16) ||
      !isUniversal(sig, 3) ||
      extra ||
      infoParts.length !== 4 ||
      !isContext(infoParts[3], 0)
    ) {
      throw new DerError('envelope does not hold a PKCS#10 request');
    }
    return { csrDer: plaintext };
  }
  const [issuer, second, extra] = parts;
  if (!isUniversal(issuer, 16) || extra) throw new DerError('bad envelope content');
  if (type === MESSAGE_TYPE.CertPoll) {
    if (!isUniversal(second, 16)) throw new DerError('IssuerAndSubject: bad subject');
    return { issuerAndSubject: { issuerDer: raw(issuer), subjectDer: raw(second) } };
  }
  return { issuerAndSerial: { issuerDer: raw(issuer), serialHex: intBytes(second).toString('hex').replace(/^0+(?=.)/, '') } };
}

export async function parsePkiMessage(der: Uint8Array, ra: ScepRa, opts: ParseOptions = {}): Promise<PkiMessage> {
  if (ra.key.type !== 'private' || ra.key.asymmetricKeyType !== 'rsa') {
    throw new AppError('ERR_CONFIG', 'SCEP RA key must be an RSA private key');
  }
  let raCert: CertInfo;
  try {
    raCert = cachedCertInfo(ra.certDer);
  } catch (e) {
    throw new AppError('ERR_CONFIG', 'SCEP RA certificate is not parsable', { cause: e });
  }
  const max = opts.maxBytes ?? MAX_PKI_MESSAGE_BYTES;
  if (!(der instanceof Uint8Array) || der.length === 0 || der.length > max) {
    throw new AppError('ERR_SCEP_BAD_MESSAGE', 'pkiMessage empty or too large', { detail: { failInfo: 'badRequest' } });
  }
  let known: RequestAttributes | undefined;
  try {
    const sd = readSignedData(der);
    if (sd.eContentType !== OID.data || !sd.eContent) throw new DerError('pkiMessage without id-data content');
    const signer = readSigner(sd);
    known = readRequestAttributes(signer.attributes);
    checkSignature(sd, signer, sd.eContent);
    const env = openEnvelope(sd.eContent, { cert: raCert, key: ra.key }, opts.allowDesCbc ?? false);
    let content: Partial<PkiMessage>;
    try {
      content = readContent(known.messageType, env.plaintext);
    } catch (e) {
      throw undecryptable(e); // must look exactly like a padding failure (see envelope.ts)
    }
    return {
      messageType: known.messageType,
      transactionId: known.transactionId,
      senderNonce: Buffer.from(known.senderNonce), // a copy: the input buffer may be reused
      signerCertDer: signer.cert.der,
      signerKey: signer.cert.publicKey,
      signerSpkiDer: signer.cert.spkiDer,
      digest: signer.digest,
      contentEncryption: env.contentEncryption,
      keyTransport: env.keyTransport,
      ...content,
    };
  } catch (e) {
    throw toScepError(e, known);
  }
}
