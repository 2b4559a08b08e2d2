/**
 * CMS SignedData as SCEP uses it: read + verify one signer, and encode RA-signed / degenerate
 * SignedData.
 *
 * Rules enforced (RFC 5652 §5, RFC 8894 §3.2 and §3.3):
 * - The outer ContentInfo is signedData; eContentType is id-data.
 * - Exactly one SignerInfo, with signed attributes (SCEP puts its attributes there, §3.2.1).
 * - The signer certificate is the one carried in the message and named by the sid
 *   (issuer + serial or subjectKeyIdentifier): self-signed for PKCSReq, the current certificate
 *   for RenewalReq (RFC 8894 §3.3.1). Its key must be RSA. Trusting that certificate is the
 *   caller's decision; here we only prove the message was signed with its key.
 * - contentType attribute = id-data; messageDigest attribute = digest(eContent) (RFC 5652 §5.4,
 *   §11.1–11.2); the signature covers the DER of SignedAttributes re-tagged as SET (0x31).
 *   A mismatch in either is ERR_SCEP_BAD_SIGNATURE.
 * - Digests and signature algorithms come from capabilities.ts (no MD5, RSA PKCS#1 v1.5 only);
 *   a <hash>WithRSAEncryption signature OID must agree with digestAlgorithm.
 * - What we emit: version 1, digest AlgorithmIdentifiers without parameters (RFC 5754 §2),
 *   signature algorithm rsaEncryption, SignedAttributes as a DER-sorted SET, certificates in the
 *   order given (clients take the first certificate of a degenerate as the issued one).
 */
import { createHash, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { OID, readAttributes } from './attributes.ts';
import { type CertId, type CertInfo, certIdFromNode, certInfoFromNode, matchesIdentifier } from './cert-info.ts';
import { DIGEST_BY_OID, DIGEST_OID, OID_RSA_ENCRYPTION, RSA_SIG_HASH_BY_OID, type ScepDigest } from './capabilities.ts';
import {
  DerError,
  type Node,
  algId,
  ctx,
  decode,
  derNull,
  integer,
  isContext,
  isUniversal,
  kids,
  octets,
  octetsOf,
  oid,
  oidOf,
  raw,
  readAlgId,
  seq,
  seqKids,
  setKids,
  setOf,
  tlv,
} from './der.ts';

export interface ParsedSignedData {
  eContentType: string;
  eContent: Buffer | undefined;
  /** Certificate nodes (other CertificateChoices are skipped). */
  certificates: Node[];
  signerInfos: Node[];
}

export function readSignedData(der: Uint8Array): ParsedSignedData {
  const [type, wrapped, extra] = seqKids(decode(der));
  if (oidOf(type) !== OID.signedData || !isContext(wrapped, 0) || extra) throw new DerError('not signedData');
  const f = seqKids(kids(wrapped)[0]);
  const encap = seqKids(f[2]);
  let eContent: Buffer | undefined;
  if (encap[1] !== undefined) {
    const wrapped = isContext(encap[1], 0) ? kids(encap[1]) : [];
    if (wrapped.length !== 1 || encap.length > 2) throw new DerError('bad eContent');
    eContent = octetsOf(wrapped[0]);
  }
  let i = 3;
  let certificates: Node[] = [];
  if (isContext(f[i], 0)) certificates = kids(f[i++]).filter((c) => isUniversal(c, 16));
  if (isContext(f[i], 1)) i++; // crls
  const signerInfos = setKids(f[i]);
  if (f[i + 1] !== undefined) throw new DerError('trailing SignedData fields');
  return { eContentType: oidOf(encap[0]), eContent, certificates, signerInfos };
}

export interface SignerInfo {
  cert: CertInfo;
  digest: ScepDigest;
  attributes: Map<string, Node>;
  signedAttrs: Node;
  signature: Buffer;
}

const badAlg = (why: string): AppError =>
  new AppError('ERR_SCEP_BAD_MESSAGE', `unsupported signature: ${why}`, { detail: { failInfo: 'badAlg' } });
const badSig = (why: string): AppError =>
  new AppError('ERR_SCEP_BAD_SIGNATURE', `pkiMessage signature invalid: ${why}`, {
    detail: { failInfo: 'badMessageCheck' },
  });

function findCert(certificates: Node[], sid: Node | undefined): CertInfo | undefined {
  for (const node of certificates) {
    let id: CertId;
    try {
      id = certIdFromNode(node);
    } catch {
      continue; // an unparsable extra certificate is not the signer's problem
    }
    if (matchesIdentifier(sid, id)) return certInfoFromNode(node); // key imported for the match only
  }
  return undefined;
}

/** Structure of the single SignerInfo, its certificate and attributes; no crypto yet. */
export function readSigner(sd: ParsedSignedData): SignerInfo {
  if (sd.signerInfos.length !== 1) throw new DerError('exactly one SignerInfo required');
  const [, sid, digestAlg, signedAttrs, sigAlg, sigValue] = seqKids(sd.signerInfos[0]);
  if (!isContext(signedAttrs, 0)) throw new DerError('signed attributes required');
  const digest = DIGEST_BY_OID[readAlgId(digestAlg).oid];
  if (!digest) throw badAlg('digest');
  const sigHash = RSA_SIG_HASH_BY_OID[readAlgId(sigAlg).oid];
  if (sigHash === undefined) throw badAlg('signature algorithm');
  if (sigHash !== null && sigHash !== digest) throw badAlg('signature hash differs from digestAlgorithm');
  const signature = octetsOf(sigValue);
  const cert = findCert(sd.certificates, sid);
  if (!cert) throw new DerError('signer certificate not in message');
  if (cert.publicKey.asymmetricKeyType !== 'rsa') throw badAlg('signer key is not RSA');
  return { cert, digest, attributes: readAttributes(kids(signedAttrs)), signedAttrs, signature };
}

/** contentType + messageDigest attributes and the RSA signature (RFC 5652 §5.4, §5.6). */
export function checkSignature(sd: ParsedSignedData, signer: SignerInfo, content: Buffer): void {
  const ct = signer.attributes.get(OID.contentType);
  const md = signer.attributes.get(OID.messageDigest);
  if (!ct || !md) throw new DerError('contentType and messageDigest attributes required');
  if (oidOf(ct) !== sd.eContentType) throw badSig('contentType attribute differs from eContentType');
  const expected = createHash(signer.digest).update(content).digest();
  const got = octetsOf(md);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw badSig('messageDigest mismatch');
  const signedBytes = raw(signer.signedAttrs);
  signedBytes[0] = 0x31; // the signature is over the SET OF encoding, not the [0] IMPLICIT one
  if (!verify(signer.digest, signedBytes, signer.cert.publicKey, signer.signature)) throw badSig('RSA signature');
}

/**
 * SignerInfo signed by `key` over DER-sorted `attributes` (RFC 5652 §5.3, §5.4). The RSA
 * signature runs on libuv's thread pool (crypto.sign with a callback), not the event loop: it
 * is the most expensive step of a CertRep (~0.3 ms for RSA-2048).
 */
export async function encodeSignerInfo(signer: CertInfo, key: KeyObject, digest: ScepDigest, attributes: Buffer[]): Promise<Buffer> {
  const set = setOf(attributes);
  const signature = await new Promise<Buffer>((resolve, reject) => sign(digest, set, key, (err, sig) => (err ? reject(err) : resolve(sig))));
  const implicit = Buffer.from(set);
  implicit[0] = 0xa0;
  return seq(
    integer(1),
    seq(signer.issuerDer, signer.serialDer),
    algId(DIGEST_OID[digest]),
    implicit,
    algId(OID_RSA_ENCRYPTION, derNull()),
    octets(signature),
  );
}

/** ContentInfo(SignedData) DER. `eContent` undefined → content omitted (degenerate, FAILURE). */
export function encodeSignedData(p: {
  digests: ScepDigest[];
  eContent?: Buffer;
  certificates: Buffer[];
  /** CertificateList DERs for the crls [1] field (GetCRL answer, RFC 8894 §3.3.5). */
  crls?: Buffer[];
  signerInfos: Buffer[];
}): Buffer {
  const encap = p.eContent ? seq(oid(OID.data), ctx(0, octets(p.eContent))) : seq(oid(OID.data));
  const certs = p.certificates.length > 0 ? [tlv(0xa0, ...p.certificates)] : [];
  const crls = p.crls?.length ? [tlv(0xa1, ...p.crls)] : [];
  const digests = setOf(p.digests.map((d) => algId(DIGEST_OID[d])));
  const sd = seq(integer(1), digests, encap, ...certs, ...crls, setOf(p.signerInfos));
  return seq(oid(OID.signedData), ctx(0, sd));
}
