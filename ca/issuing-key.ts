/**
 * Online side of the ceremony: generate the issuing CA key on the online host, keep it
 * encrypted at rest, and produce the CSR the offline root signs.
 *
 * Rules enforced:
 * - The private key never leaves this host and is written only as encrypted PKCS#8
 *   (PBES2/AES-256-CBC, platform/crypto), mode 0600, atomically; no passphrase -> ERR_BAD_INPUT.
 * - Issuing keys: P-256, P-384 or RSA-3072/4096 (RSA-2048 too weak for a CA that lives for
 *   years: NIST SP 800-57 §5.6.1 gives 112-bit security only through 2030).
 * - The file is named after the future issuer id (SHA-256 of the SPKI), never overwritten.
 * - The CSR (RFC 2986) carries the subject only; the root decides the CA extensions.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateKey, saveEncryptedKey, SoftwareSigner, type KeyAlgorithm } from '../platform/crypto.ts';
import { AppError } from '../platform/errors.ts';
import { encodeName } from './asn1/index.ts';
import { buildCsr } from './csr-builder.ts';
import { issuerIdOf } from './issuers.ts';
import type { SubjectSpec } from './types.ts';

export type IssuingKeyAlgorithm = 'P-256' | 'P-384' | 'RSA-3072' | 'RSA-4096';
const ALLOWED: readonly KeyAlgorithm[] = ['P-256', 'P-384', 'RSA-3072', 'RSA-4096'];

export interface IssuingKeyInput {
  keyDir: string;
  passphrase: string;
  algorithm?: IssuingKeyAlgorithm;
  subject: SubjectSpec;
}

export interface IssuingKeyResult {
  keyFile: string;
  csrDer: Buffer;
  /** The id the issuer will have once registered. */
  issuerId: string;
}

export function createIssuingKeyAndCsr(input: IssuingKeyInput): IssuingKeyResult {
  const alg = input.algorithm ?? 'P-256';
  if (!ALLOWED.includes(alg)) throw new AppError('ERR_KEY_POLICY', `issuing key algorithm must be one of ${ALLOWED.join(', ')}`);
  if (typeof input.passphrase !== 'string' || input.passphrase.length < 8) throw new AppError('ERR_BAD_INPUT', 'issuing key passphrase must be at least 8 characters');
  const subjectDer = encodeName(input.subject);
  if (subjectDer.length === 2) throw new AppError('ERR_BAD_INPUT', 'issuing CA subject must not be empty');
  const key = generateKey(alg);
  const signer = new SoftwareSigner(key);
  const issuerId = issuerIdOf(signer.spki);
  const keyFile = resolve(join(input.keyDir, `issuing-${issuerId}.key.pem`));
  if (existsSync(keyFile)) throw new AppError('ERR_CONFLICT', `key file ${keyFile} already exists`);
  saveEncryptedKey(keyFile, key, input.passphrase);
  return { keyFile, csrDer: buildCsr({ signer, subjectDer }), issuerId };
}
