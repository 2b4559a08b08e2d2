/**
 * The few certificate fields the SCEP message layer needs, read from the raw DER.
 *
 * Rules enforced:
 * - Certificates are identified the CMS way (RFC 5652 §5.3, §6.2.1, §10.2.4): issuer Name bytes
 *   exactly as encoded in the certificate plus the serial number value, or the
 *   subjectKeyIdentifier extension value (RFC 5280 §4.2.1.2). Names are compared byte-for-byte,
 *   never re-encoded.
 * - SCEP is RSA-only (RFC 8894 §2.1, §3.1): a signer or recipient certificate whose key is not
 *   plain rsaEncryption is refused by the callers via `publicKey.asymmetricKeyType`.
 * - The RA certificate is parsed once per Buffer instance (WeakMap cache) to keep the per-request
 *   cost down; request certificates are parsed per message, but their public keys come from a
 *   small cache keyed by the exact SPKI bytes (one message reads its signer certificate up to
 *   three times: signer lookup, self-signed check, CertRep recipient; an RSA import costs
 *   ~0.2 ms). Public keys only: nothing secret is cached.
 */
import { createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';
import {
  DerError,
  type Node,
  contentOf,
  decode,
  intBytes,
  isContext,
  isUniversal,
  kids,
  octetsOf,
  oidOf,
  raw,
  readAlgId,
  seqKids,
} from './der.ts';

/** What CMS identifies a certificate by (RFC 5652 §10.2.4, §5.3 sid, §6.2.1 rid). */
export interface CertId {
  issuerDer: Buffer;
  serial: Buffer;
  subjectKeyId: Buffer | undefined;
}

export interface CertInfo extends CertId {
  der: Buffer;
  /** The INTEGER exactly as encoded (for re-emission in an IssuerAndSerialNumber). */
  serialDer: Buffer;
  subjectDer: Buffer;
  /** SubjectPublicKeyInfo exactly as encoded in the certificate. */
  spkiDer: Buffer;
  publicKey: KeyObject;
}

const KEY_CACHE_MAX = 512;
const keys = new Map<string, KeyObject>();

function publicKeyOf(spkiDer: Buffer): KeyObject {
  const k = spkiDer.toString('latin1');
  let key = keys.get(k);
  if (!key) {
    key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
    if (keys.size >= KEY_CACHE_MAX) keys.delete(keys.keys().next().value as string);
    keys.set(k, key);
  }
  return key;
}

const OID_SKI = '2.5.29.14';

function subjectKeyId(extsWrapper: Node | undefined): Buffer | undefined {
  if (!isContext(extsWrapper, 3)) return undefined;
  for (const ext of seqKids(kids(extsWrapper)[0])) {
    const parts = seqKids(ext);
    if (oidOf(parts[0]) !== OID_SKI) continue;
    return octetsOf(decode(octetsOf(parts[parts.length - 1])));
  }
  return undefined;
}

/** TBSCertificate fields by position (RFC 5280 §4.1): the version [0] is optional. */
function tbsFields(cert: Node): { serial: Node; issuer: Node; subject: Node; spki: Node; exts: Node | undefined } {
  const f = seqKids(seqKids(cert)[0]);
  const off = isContext(f[0], 0) ? 1 : 0;
  const [serial, , issuer, , subject, spki] = f.slice(off);
  if (!isUniversal(serial, 2) || !isUniversal(issuer, 16) || !isUniversal(subject, 16) || !isUniversal(spki, 16)) {
    throw new DerError('certificate: bad TBSCertificate');
  }
  return { serial, issuer, subject, spki, exts: f.slice(off + 6).find((n) => isContext(n, 3)) };
}

/** Identifier fields only: cheap, no key import (used to find the signer among many certs). */
export function certIdFromNode(cert: Node): CertId {
  const t = tbsFields(cert);
  return { issuerDer: raw(t.issuer), serial: intBytes(t.serial), subjectKeyId: subjectKeyId(t.exts) };
}

/** Reads an already-decoded Certificate node (used for certificates inside a SignedData). */
export function certInfoFromNode(cert: Node): CertInfo {
  const t = tbsFields(cert);
  let publicKey: KeyObject;
  const spkiDer = raw(t.spki);
  try {
    publicKey = publicKeyOf(spkiDer);
  } catch (e) {
    throw new DerError('certificate: bad public key', { cause: e });
  }
  return {
    der: raw(cert),
    issuerDer: raw(t.issuer),
    serial: intBytes(t.serial),
    serialDer: raw(t.serial),
    subjectDer: raw(t.subject),
    spkiDer,
    publicKey,
    subjectKeyId: subjectKeyId(t.exts),
  };
}

export function certInfo(der: Buffer): CertInfo {
  return certInfoFromNode(decode(der));
}

const cache = new WeakMap<Buffer, CertInfo>();

/** certInfo() memoised per Buffer object: for the long-lived RA certificate. */
export function cachedCertInfo(der: Buffer): CertInfo {
  let info = cache.get(der);
  if (!info) {
    info = certInfo(der);
    cache.set(der, info);
  }
  return info;
}

/** sid / rid matching (RFC 5652 §5.3 SignerIdentifier, §6.2.1 RecipientIdentifier). */
export function matchesIdentifier(id: Node | undefined, cert: CertId): boolean {
  if (isContext(id, 0) && !id.constructed) {
    return cert.subjectKeyId !== undefined && contentOf(id).equals(cert.subjectKeyId);
  }
  const [issuer, serial] = seqKids(id);
  if (!isUniversal(issuer, 16)) throw new DerError('IssuerAndSerialNumber: bad issuer');
  return raw(issuer).equals(cert.issuerDer) && intBytes(serial).equals(cert.serial);
}

/** sha*WithRSAEncryption (RFC 8017 A.2.4): what SCEP requesters self-sign with. */
const RSA_SIGNATURE_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

/**
 * Does `info.publicKey` verify the certificate's own signature? PKCS#1 v1.5 RSA signatures are
 * checked directly over the TBSCertificate bytes (X509Certificate's full parse cost ~0.2 ms per
 * request); any other algorithm goes through X509Certificate.verify.
 */
export function verifiesOwnSignature(info: CertInfo): boolean {
  const [tbs, alg, sig, extra] = seqKids(decode(info.der));
  if (!tbs || extra || !isUniversal(sig, 3)) return false;
  const hash = RSA_SIGNATURE_HASH[readAlgId(alg).oid];
  if (!hash) return new X509Certificate(info.der).verify(info.publicKey);
  const bits = contentOf(sig);
  if (bits[0] !== 0) return false;
  try {
    return verify(hash, raw(tbs), info.publicKey, bits.subarray(1));
  } catch {
    return false;
  }
}
