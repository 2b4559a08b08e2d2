/**
 * The crypto provider seam. Callers hold a Signer handle and never see key bytes, so a PKCS#11
 * provider can replace the software one without touching them.
 *
 * Rules:
 * - Software keys are Node KeyObjects (OpenSSL, ~40k P-256 signs/s/core); @peculiar/webcrypto is
 *   not used (10-20x slower).
 * - Private keys at rest are encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC, as
 *   OpenSSL writes it), files written 0600 atomically and durably: the temporary file is
 *   fsync'd before the rename and the directory after it, so after a power failure the path holds
 *   the old or the new content, never an empty or missing file.
 * - ECDSA signatures are DER (X9.62) as X.509/CMS/OCSP want them; RSA is PKCS#1 v1.5.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from './errors.ts';

export type KeyAlgorithm = 'P-256' | 'P-384' | 'P-521' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'Ed25519';
export type DigestName = 'sha256' | 'sha384' | 'sha512';

export interface Signer {
  readonly algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo DER of the key. */
  readonly spki: Buffer;
  readonly publicKey: KeyObject;
  /** Digest used for certificate/CRL/OCSP signatures by this key (null for Ed25519). */
  readonly digest: DigestName | null;
  sign(data: Buffer): Buffer;
}

export function defaultDigest(alg: KeyAlgorithm): DigestName | null {
  if (alg === 'Ed25519') return null;
  if (alg === 'P-384') return 'sha384';
  if (alg === 'P-521') return 'sha512';
  return 'sha256';
}

export function generateKey(alg: KeyAlgorithm): KeyObject {
  if (alg.startsWith('P-')) return generateKeyPairSync('ec', { namedCurve: alg }).privateKey;
  if (alg.startsWith('RSA-')) return generateKeyPairSync('rsa', { modulusLength: Number(alg.slice(4)), publicExponent: 65537 }).privateKey;
  return generateKeyPairSync('ed25519').privateKey;
}

export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const c = d.namedCurve;
    if (c === 'prime256v1' || c === 'P-256') return 'P-256';
    if (c === 'secp384r1' || c === 'P-384') return 'P-384';
    if (c === 'secp521r1' || c === 'P-521') return 'P-521';
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d.modulusLength ?? 0;
    if (bits === 2048 || bits === 3072 || bits === 4096) return `RSA-${bits}` as KeyAlgorithm;
  }
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519';
  throw new AppError('ERR_KEY_POLICY', `unsupported key type ${key.asymmetricKeyType}`);
}

export class SoftwareSigner implements Signer {
  readonly algorithm: KeyAlgorithm;
  readonly spki: Buffer;
  readonly publicKey: KeyObject;
  readonly digest: DigestName | null;
  constructor(private readonly key: KeyObject) {
    this.algorithm = keyAlgorithmOf(key);
    this.publicKey = createPublicKey(key);
    this.spki = this.publicKey.export({ type: 'spki', format: 'der' });
    this.digest = defaultDigest(this.algorithm);
  }
  sign(data: Buffer): Buffer {
    return nodeSign(this.digest, data, this.key);
  }
  /** Only for writing the key to its encrypted file; never passed around. */
  exportEncrypted(passphrase: string): string {
    return this.key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
  }
}

export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const fd = openSync(tmp, 'w', mode);
  try {
    fchmodSync(fd, mode); // the umask may have narrowed (or a stale file widened) the mode
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd); // the rename itself
  } finally {
    closeSync(dfd);
  }
}

export function saveEncryptedKey(path: string, key: KeyObject, passphrase: string): void {
  writeFileAtomic(path, key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString());
}

/** Loads an encrypted PKCS#8 private key; wrong passphrase or unreadable file -> ERR_KEY_LOCKED. */
export function loadEncryptedPrivateKey(path: string, passphrase: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AppError('ERR_KEY_LOCKED', `cannot read key file ${path}: ${(e as NodeJS.ErrnoException).code}`, { cause: e });
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch (e) {
    throw new AppError('ERR_KEY_LOCKED', `cannot unlock key ${path}: wrong passphrase or corrupt file`, { cause: e });
  }
}

/** Loads an encrypted PKCS#8 key into a Signer. */
export function loadEncryptedKey(path: string, passphrase: string): SoftwareSigner {
  return new SoftwareSigner(loadEncryptedPrivateKey(path, passphrase));
}
