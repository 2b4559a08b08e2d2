/**
 * buildCertRep: the RA-signed CertRep pkiMessage (RFC 8894 §3.3.2).
 *
 * Rules enforced:
 * - Signed by the RA key with the RA certificate included; signed attributes: transactionID (as
 *   in the request), messageType = CertRep (3), pkiStatus, failInfo (+ optional failInfoText)
 *   only when FAILURE, recipientNonce = the request's senderNonce, a fresh random 16-octet
 *   senderNonce, CMS contentType (id-data) and messageDigest (RFC 8894 §3.2.1, §3.3.2).
 * - SUCCESS: the content is a pkcsPKIEnvelope encrypted to the requester's certificate (the
 *   request signer: self-signed for PKCSReq, the current certificate for RenewalReq) holding a
 *   degenerate certs-only SignedData with the issued certificate first, then the chain (for
 *   GetCRL, RFC 8894 §3.3.5: the CRL in the crls field instead).
 * - FAILURE and PENDING: no pkcsPKIEnvelope (RFC 8894 §3.3.2): the SignedData encapsulates an
 *   EMPTY id-data content and the messageDigest is over the empty string (RFC 5652 §5.4).
 *   The empty OCTET STRING is there, not omitted: OpenSSL-based clients (certmonger
 *   scep-submit, PKCS7_verify) reject a CertRep without content ("no content"), and micromdm
 *   sends the same shape.
 * - Content encryption defaults to AES-128-CBC (every SCEPStandard client supports it); pass
 *   the request's algorithm when it is AES or DES-EDE3. Single DES is never sent.
 * - Inputs are validated (transactionID charset/length, 16-octet nonce, status/failInfo
 *   consistency); a violation is a programming error → ERR_BAD_INPUT.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import {
  type FailInfo,
  type PkiStatus,
  FAIL_INFO,
  NONCE_LENGTH,
  PKI_STATUS,
  certRepAttributes,
  isValidTransactionId,
} from './attributes.ts';
import { cachedCertInfo, certInfo } from './cert-info.ts';
import { type ContentEncryption, type ScepDigest, cipherByName } from './capabilities.ts';
import { buildDegenerate } from './degenerate.ts';
import { sealEnvelope } from './envelope.ts';
import type { ScepRa } from './message.ts';
import { encodeSignedData, encodeSignerInfo } from './signed-data.ts';

export type CertRepEncryption = Exclude<ContentEncryption, 'des-cbc'>;

export interface CertRepInput {
  status: PkiStatus;
  failInfo?: FailInfo;
  /** Human-readable reason (RFC 8894 §3.2.1.4 failInfoText); safe text only. */
  failInfoText?: string;
  transactionId: string;
  /** The request's senderNonce. */
  recipientNonce: Buffer;
  issuedCertDer?: Buffer;
  caChainDer?: Buffer[];
  /** GetCRL answer (RFC 8894 §3.3.5): a CertificateList sent instead of certificates. */
  crlDer?: Buffer;
  /** The request signer's certificate (PkiMessage.signerCertDer); required for SUCCESS. */
  recipientCertDer?: Buffer;
  ra: ScepRa;
  digest?: ScepDigest;
  contentEncryption?: CertRepEncryption;
}

const bad = (why: string): AppError => new AppError('ERR_BAD_INPUT', `buildCertRep: ${why}`);

function validate(p: CertRepInput): void {
  if (!(p.status in PKI_STATUS)) throw bad('unknown status');
  if (!isValidTransactionId(p.transactionId)) throw bad('transactionId');
  if (!Buffer.isBuffer(p.recipientNonce) || p.recipientNonce.length !== NONCE_LENGTH) throw bad('recipientNonce');
  if (p.failInfo !== undefined && (p.status !== 'FAILURE' || !(p.failInfo in FAIL_INFO))) throw bad('failInfo');
  if (p.failInfoText !== undefined && (p.status !== 'FAILURE' || p.failInfoText.length > 256))
    throw bad('failInfoText');
  if (p.status === 'SUCCESS' && ((!p.issuedCertDer && !p.crlDer) || !p.recipientCertDer)) {
    throw bad('SUCCESS needs issuedCertDer (or crlDer) and recipientCertDer');
  }
}

export async function buildCertRep(p: CertRepInput): Promise<Buffer> {
  validate(p);
  const digest = p.digest ?? 'sha256';
  let eContent: Buffer = Buffer.alloc(0);
  if (p.status === 'SUCCESS' && p.recipientCertDer) {
    const cipher = cipherByName(p.contentEncryption ?? 'aes-128-cbc');
    if (!cipher || cipher.name === 'des-cbc') throw bad('contentEncryption');
    const certs = p.issuedCertDer ? [p.issuedCertDer, ...(p.caChainDer ?? [])] : [];
    const degenerate = buildDegenerate(certs, p.crlDer ? [p.crlDer] : []);
    let recipient;
    try {
      recipient = certInfo(p.recipientCertDer);
    } catch (e) {
      throw new AppError('ERR_BAD_INPUT', 'buildCertRep: recipientCertDer is not a certificate', { cause: e });
    }
    eContent = sealEnvelope(degenerate, recipient, cipher);
  }
  const ra = cachedCertInfo(p.ra.certDer);
  const attributes = certRepAttributes({
    transactionId: p.transactionId,
    status: p.status,
    failInfo: p.failInfo,
    failInfoText: p.failInfoText,
    senderNonce: randomBytes(NONCE_LENGTH),
    recipientNonce: p.recipientNonce,
    messageDigest: createHash(digest).update(eContent).digest(),
  });
  return encodeSignedData({
    digests: [digest],
    eContent,
    certificates: [p.ra.certDer],
    signerInfos: [await encodeSignerInfo(ra, p.ra.key, digest, attributes)],
  });
}

/**
 * The CertRep FAILURE input for an error thrown by parsePkiMessage (its `detail` contract), or
 * undefined when the request was too broken to name a transaction (answer HTTP 400 then).
 */
export function certRepFailureFor(e: unknown, ra: ScepRa): CertRepInput | undefined {
  const d = e instanceof AppError ? e.detail : undefined;
  if (!d || !isValidTransactionId(d.transactionId) || typeof d.senderNonce !== 'string') return undefined;
  const recipientNonce = Buffer.from(d.senderNonce, 'hex');
  if (recipientNonce.length !== NONCE_LENGTH) return undefined;
  const failInfo = typeof d.failInfo === 'string' && d.failInfo in FAIL_INFO ? (d.failInfo as FailInfo) : 'badRequest';
  return { status: 'FAILURE', failInfo, transactionId: d.transactionId, recipientNonce, ra };
}
