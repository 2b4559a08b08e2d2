/**
 * pkcsPKIEnvelope: CMS EnvelopedData opened with the RA key and sealed to the requester.
 *
 * Rules enforced:
 * - The envelope is a ContentInfo of type envelopedData (RFC 8894 §3.2.2, RFC 5652 §6.1) whose
 *   encryptedContentInfo carries id-data.
 * - Only a KeyTransRecipientInfo (RFC 5652 §6.2.1) naming our RA certificate (issuer + serial or
 *   subjectKeyIdentifier) is used. Clients often encrypt to every certificate from GetCACert, so
 *   other recipients are skipped; none for us → ERR_SCEP_BAD_RECIPIENT.
 * - Algorithms are checked from the public parameters before any private-key operation: RSA
 *   PKCS#1 v1.5 or RSAES-OAEP key transport; AES-128/192/256-CBC, DES-EDE3-CBC, and DES-CBC only
 *   with `allowDesCbc` (RFC 8894 §3.5.2 deprecates single DES). IV length must match the cipher;
 *   the ciphertext must be a non-empty multiple of the block size. Violations → badAlg.
 * - Every failure after key transport (wrong key, bad RSA or CBC padding, content that does not
 *   parse) is one error with one message and detail (`undecryptable`; key-transport.ts does
 *   implicit rejection), so neither the RSA step nor the CBC step is an oracle.
 * - CertRep envelopes (RFC 8894 §3.3.2) are version 0 with one PKCS#1 v1.5 recipient, a fresh
 *   random key and IV per message, and DER throughout.
 */
import { createCipheriv, createDecipheriv, getCiphers, randomBytes, type KeyObject } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { OID } from './attributes.ts';
import { type CertInfo, matchesIdentifier } from './cert-info.ts';
import { type CipherSpec, type ContentEncryption, OID_RSAES_OAEP, cipherByOid } from './capabilities.ts';
import {
  DerError,
  algId,
  contentOf,
  ctx,
  decode,
  integer,
  isContext,
  isUniversal,
  kids,
  octets,
  octetsOf,
  oid,
  oidOf,
  readAlgId,
  seq,
  seqKids,
  setKids,
  setOf,
  tlv,
} from './der.ts';
import { decryptContentKey, encryptContentKey } from './key-transport.ts';

export type KeyTransport = 'rsaes-pkcs1-v1_5' | 'rsaes-oaep';

export interface OpenedEnvelope {
  plaintext: Buffer;
  contentEncryption: ContentEncryption;
  keyTransport: KeyTransport;
}

const badAlg = (why: string): AppError =>
  new AppError('ERR_SCEP_BAD_MESSAGE', `unsupported content encryption: ${why}`, { detail: { failInfo: 'badAlg' } });

/**
 * The one error for everything after key transport: wrong key, bad CBC padding, and content
 * that does not parse. A PKCSReq can be re-signed by anyone (self-signed signer), so if "bad
 * padding" and "bad content" differed, a captured request could be decrypted block by block
 * (CBC padding oracle) and its challenge password read. Callers must keep the CertRep identical too.
 */
export function undecryptable(cause: unknown): AppError {
  return new AppError('ERR_SCEP_BAD_MESSAGE', 'cannot decrypt pkcsPKIEnvelope', {
    cause,
    detail: { failInfo: 'badMessageCheck' },
  });
}

let available: Set<string> | undefined;
const nodeCipher = (c: CipherSpec): string => (c.name === 'des-cbc' ? 'des-ede3-cbc' : c.name);
const isAvailable = (c: CipherSpec): boolean => (available ??= new Set(getCiphers())).has(nodeCipher(c));

/** DES-CBC runs as DES-EDE3 with K1 = K2 = K3, which is single DES exactly (FIPS 46-3 keying option 3). */
const nodeKey = (c: CipherSpec, key: Buffer): Buffer => (c.name === 'des-cbc' ? Buffer.concat([key, key, key]) : key);

export function openEnvelope(
  der: Buffer,
  ra: { cert: CertInfo; key: KeyObject },
  allowDesCbc: boolean,
): OpenedEnvelope {
  const [type, wrapped, extra] = seqKids(decode(der));
  if (oidOf(type) !== OID.envelopedData || !isContext(wrapped, 0) || extra) throw new DerError('not envelopedData');
  const fields = seqKids(kids(wrapped)[0]);
  let i = 1; // skip version
  if (isContext(fields[i], 0)) i++; // originatorInfo
  const recipients = setKids(fields[i]);
  const eci = seqKids(fields[i + 1]);

  let ktri: ReturnType<typeof seqKids> | undefined;
  for (const ri of recipients) {
    if (!isUniversal(ri, 16)) continue; // kari/kekri/pwri/ori: not for an RSA RA
    const parts = seqKids(ri);
    if (parts.length === 4 && matchesIdentifier(parts[1], ra.cert)) {
      ktri = parts;
      break;
    }
  }
  if (!ktri) {
    throw new AppError('ERR_SCEP_BAD_RECIPIENT', 'pkcsPKIEnvelope is not encrypted to this RA', {
      detail: { failInfo: 'badMessageCheck' },
    });
  }

  if (oidOf(eci[0]) !== OID.data) throw new DerError('envelope content is not id-data');
  const cea = readAlgId(eci[1]);
  const cipher = cipherByOid(cea.oid);
  if (!cipher) throw badAlg(cea.oid);
  if (cipher.name === 'des-cbc' && !allowDesCbc) throw badAlg('single DES is disabled');
  if (!isAvailable(cipher)) throw badAlg(`${cipher.name} is not available in this OpenSSL`);
  const iv = octetsOf(cea.params);
  if (iv.length !== cipher.ivLen) throw badAlg('IV length');
  if (!isContext(eci[2], 0)) throw new DerError('envelope has no encryptedContent');
  const ciphertext = contentOf(eci[2]);
  if (ciphertext.length === 0 || ciphertext.length % cipher.ivLen !== 0) throw new DerError('ciphertext length');

  const kea = readAlgId(ktri[2]);
  const cek = decryptContentKey(ra.key, kea, octetsOf(ktri[3]), cipher.keyLen);
  let plaintext: Buffer;
  try {
    const d = createDecipheriv(nodeCipher(cipher), nodeKey(cipher, cek), iv);
    plaintext = Buffer.concat([d.update(ciphertext), d.final()]);
  } catch (e) {
    throw undecryptable(e);
  }
  return {
    plaintext,
    contentEncryption: cipher.name,
    keyTransport: kea.oid === OID_RSAES_OAEP ? 'rsaes-oaep' : 'rsaes-pkcs1-v1_5',
  };
}

/** EnvelopedData (as ContentInfo DER) of `plaintext` for one RSA recipient certificate. */
export function sealEnvelope(plaintext: Buffer, recipient: CertInfo, cipher: CipherSpec): Buffer {
  if (recipient.publicKey.asymmetricKeyType !== 'rsa') {
    throw new AppError('ERR_SCEP_BAD_MESSAGE', 'requester certificate is not RSA', { detail: { failInfo: 'badAlg' } });
  }
  if (cipher.name === 'des-cbc') throw new AppError('ERR_INTERNAL', 'refusing to send single DES');
  const cek = randomBytes(cipher.keyLen);
  const iv = randomBytes(cipher.ivLen);
  const c = createCipheriv(nodeCipher(cipher), nodeKey(cipher, cek), iv);
  const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
  const kt = encryptContentKey(recipient.publicKey, cek);
  const ktri = seq(integer(0), seq(recipient.issuerDer, recipient.serialDer), kt.algId, octets(kt.encryptedKey));
  const enveloped = seq(
    integer(0),
    setOf([ktri]),
    seq(oid(OID.data), algId(cipher.oid, octets(iv)), tlv(0x80, ciphertext)),
  );
  return seq(oid(OID.envelopedData), ctx(0, enveloped));
}
