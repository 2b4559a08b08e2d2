/**
 * RSA key transport for CMS KeyTransRecipientInfo (RFC 5652 §6.2.1; RFC 8894 §3.2.2).
 *
 * Rules enforced:
 * - No padding oracle (Bleichenbacher/Marvin). Node 20 refuses RSA_PKCS1_PADDING private
 *   decryption (CVE-2023-46809), so PKCS#1 v1.5 (RFC 3370 §4.2.1, what nearly every SCEP client
 *   sends) is done as raw RSA plus a branch-free padding check with implicit rejection
 *   (RFC 3218 §2.3.2): when the padding is wrong, the key length is not the one the content
 *   cipher needs, or OAEP decoding fails, a deterministic key derived from the RA key and the
 *   ciphertext is returned instead. The only visible failure is the later content decryption,
 *   identical for every cause and for every retry of the same ciphertext.
 * - The expected key length comes from the content-encryption algorithm, never from the
 *   decrypted block (RFC 3218 §2.3.2).
 * - RSAES-OAEP (RFC 3560 §2.3, RFC 8017 A.2.1): hash SHA-1/224/256/384/512, MGF1 with the same
 *   hash, empty label. Anything else is badAlg — decided from the public parameters only.
 * - For CertRep we encrypt with PKCS#1 v1.5, which every SCEP client can decrypt.
 */
import { constants, createHash, createHmac, privateDecrypt, publicEncrypt, sign, type KeyObject } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { DIGEST_BY_OID, OID_MGF1, OID_RSA_ENCRYPTION, OID_RSAES_OAEP, type ScepDigest } from './capabilities.ts';
import { type Node, algId, derNull, isContext, kids, octetsOf, readAlgId, seqKids } from './der.ts';

const OID_P_SPECIFIED = '1.2.840.113549.1.1.9';
const KDK_LABEL = Buffer.from('gatehouse scep implicit-rejection key v1');
const kdkCache = new WeakMap<KeyObject, Buffer>();

const badAlg = (why: string): AppError =>
  new AppError('ERR_SCEP_BAD_MESSAGE', `unsupported key transport: ${why}`, { detail: { failInfo: 'badAlg' } });

/** Secret only the RA key holder can compute; a PKCS#1 v1.5 signature is deterministic. */
function kdk(key: KeyObject): Buffer {
  let k = kdkCache.get(key);
  if (!k) {
    k = createHash('sha256')
      .update(sign('sha256', KDK_LABEL, key))
      .digest();
    kdkCache.set(key, k);
  }
  return k;
}

function syntheticKey(key: KeyObject, ciphertext: Buffer, keyLen: number): Buffer {
  return createHmac('sha256', kdk(key)).update(ciphertext).digest().subarray(0, keyLen);
}

/** EM = 00 02 PS(>=8 non-zero) 00 M, |M| = keyLen; returns M or `fallback`, without branching on EM. */
function pkcs1Select(em: Buffer, keyLen: number, fallback: Buffer): Buffer {
  const sep = em.length - keyLen - 1;
  if (sep < 10) return fallback; // depends on public lengths only
  let bad = (em[0] ?? 1) | ((em[1] ?? 0) ^ 0x02) | (em[sep] ?? 1);
  for (let i = 2; i < sep; i++) bad |= (((em[i] ?? 0) - 1) >>> 8) & 1;
  const mask = ((((bad | -bad) >>> 31) & 1) - 1) & 0xff; // 0xff when the padding is good
  const out = Buffer.alloc(keyLen);
  for (let i = 0; i < keyLen; i++) out[i] = ((em[sep + 1 + i] ?? 0) & mask) | ((fallback[i] ?? 0) & ~mask & 0xff);
  return out;
}

function oaepHash(params: Node | undefined): ScepDigest {
  let hash: ScepDigest = 'sha1';
  let mgfHash: ScepDigest = 'sha1';
  for (const p of params === undefined ? [] : seqKids(params)) {
    const inner = kids(p)[0];
    if (isContext(p, 0)) {
      const h = DIGEST_BY_OID[readAlgId(inner).oid];
      if (!h) throw badAlg('OAEP hash');
      hash = h;
    } else if (isContext(p, 1)) {
      const mgf = readAlgId(inner);
      const h = mgf.oid === OID_MGF1 ? DIGEST_BY_OID[readAlgId(mgf.params).oid] : undefined;
      if (!h) throw badAlg('OAEP mask generation');
      mgfHash = h;
    } else if (isContext(p, 2)) {
      const src = readAlgId(inner);
      if (src.oid !== OID_P_SPECIFIED || (src.params && octetsOf(src.params).length > 0)) throw badAlg('OAEP label');
    } else {
      throw badAlg('OAEP parameters');
    }
  }
  if (hash !== mgfHash) throw badAlg('OAEP hash differs from MGF1 hash');
  return hash;
}

/**
 * Recovers the content-encryption key. Never throws for a wrong key or bad padding: it returns
 * a pseudo-random key of the right length instead (implicit rejection). Throws only for
 * algorithms we do not support, which the peer already knows it sent.
 */
export function decryptContentKey(
  key: KeyObject,
  alg: { oid: string; params: Node | undefined },
  encryptedKey: Buffer,
  keyLen: number,
): Buffer {
  const modulusBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const k = Math.ceil(modulusBits / 8);
  const fallback = syntheticKey(key, encryptedKey, keyLen);
  if (alg.oid === OID_RSA_ENCRYPTION) {
    if (alg.params !== undefined) throw badAlg('rsaEncryption parameters');
    if (encryptedKey.length > k || encryptedKey.length === 0) return fallback;
    const ct =
      encryptedKey.length === k ? encryptedKey : Buffer.concat([Buffer.alloc(k - encryptedKey.length), encryptedKey]);
    let em: Buffer;
    try {
      em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ct);
    } catch {
      return fallback; // c >= n: a property of the public ciphertext only
    }
    return pkcs1Select(em, keyLen, fallback);
  }
  if (alg.oid === OID_RSAES_OAEP) {
    const hash = oaepHash(alg.params);
    try {
      const cek = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, encryptedKey);
      return cek.length === keyLen ? cek : fallback;
    } catch {
      return fallback;
    }
  }
  throw badAlg(alg.oid);
}

/** PKCS#1 v1.5 key transport to the requester (RFC 3370 §4.2.1). */
export function encryptContentKey(recipient: KeyObject, cek: Buffer): { algId: Buffer; encryptedKey: Buffer } {
  const encryptedKey = publicEncrypt({ key: recipient, padding: constants.RSA_PKCS1_PADDING }, cek);
  return { algId: algId(OID_RSA_ENCRYPTION, derNull()), encryptedKey };
}
