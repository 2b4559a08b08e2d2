/**
 * Offline ceremony, step 1: create the root CA key and self-signed certificate.
 *
 * Rules enforced:
 * - Root keys: P-384 (default), P-256, RSA-3072 or RSA-4096; the key is written only as
 *   encrypted PKCS#8 (0600, atomic); passphrase of at least 12 characters.
 * - RFC 5280 §4.1.2.2: 127-bit CSPRNG serial. §4.1.2.4/§4.1.2.6: issuer = subject, non-empty.
 * - §4.1.2.5: notBefore backdated 5 min (clock skew), notAfter = notBefore + validityYears
 *   (default 20, at most 30).
 * - §4.2.1.9 basicConstraints cA TRUE critical (no pathLen: the root may later certify more
 *   than one level); §4.2.1.3 keyUsage keyCertSign + cRLSign critical; §4.2.1.2 SKI; no AKI
 *   (self-signed, §4.2.1.1 allows omitting it).
 * - An existing root in the folder is never overwritten (ERR_CONFLICT).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { generateKey, saveEncryptedKey, SoftwareSigner, writeFileAtomic } from '../../platform/crypto.ts';
import { AppError } from '../../platform/errors.ts';
import { encodeName, toPem } from '../asn1/index.ts';
import { buildTbs, signatureAlgorithmFor, signCertificate } from '../cert-builder.ts';
import { subjectKeyIdentifier } from '../csr.ts';
import { basicConstraints, keyUsage, subjectKeyId } from '../extensions.ts';
import { newSerial } from '../serial.ts';
import type { SubjectSpec } from '../types.ts';
import { rootFiles } from './files.ts';

export type RootAlgorithm = 'P-384' | 'P-256' | 'RSA-3072' | 'RSA-4096';
const ROOT_ALGS: readonly RootAlgorithm[] = ['P-384', 'P-256', 'RSA-3072', 'RSA-4096'];
const BACKDATE_MS = 5 * 60_000;

export interface CreateRootInput {
  dir: string;
  passphrase: string;
  algorithm?: RootAlgorithm;
  subject: SubjectSpec;
  validityYears?: number;
  now?: Date;
}

export interface CreatedRoot {
  certDer: Buffer;
  certFile: string;
  keyFile: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export function addYears(d: Date, years: number): Date {
  const out = new Date(d.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

export function checkPassphrase(p: unknown): asserts p is string {
  if (typeof p !== 'string' || p.length < 12) throw new AppError('ERR_BAD_INPUT', 'ceremony passphrase must be at least 12 characters');
}

export function createRoot(input: CreateRootInput): CreatedRoot {
  const alg = input.algorithm ?? 'P-384';
  if (!ROOT_ALGS.includes(alg)) throw new AppError('ERR_KEY_POLICY', `root algorithm must be one of ${ROOT_ALGS.join(', ')}`);
  checkPassphrase(input.passphrase);
  const years = input.validityYears ?? 20;
  if (!Number.isInteger(years) || years < 1 || years > 30) throw new AppError('ERR_BAD_INPUT', 'root validityYears must be 1..30');
  const files = rootFiles(input.dir);
  if (existsSync(files.key) || existsSync(files.cert)) throw new AppError('ERR_CONFLICT', `${input.dir} already holds a root`);
  const subjectDer = encodeName(input.subject);
  if (subjectDer.length === 2) throw new AppError('ERR_BAD_INPUT', 'root subject must not be empty');
  mkdirSync(input.dir, { recursive: true, mode: 0o700 });

  const key = generateKey(alg);
  const signer = new SoftwareSigner(key);
  const now = input.now ?? new Date();
  const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
  const notAfter = addYears(notBefore, years);
  const serial = newSerial();
  const tbs = buildTbs({
    serial: serial.bytes,
    signatureAlgorithm: signatureAlgorithmFor(signer.algorithm),
    issuerDer: subjectDer,
    notBefore,
    notAfter,
    subjectDer,
    spkiDer: signer.spki,
    extensions: [basicConstraints(true), keyUsage(['keyCertSign', 'cRLSign']), subjectKeyId(subjectKeyIdentifier(signer.spki))],
  });
  const certDer = signCertificate(signer, tbs);
  saveEncryptedKey(files.key, key, input.passphrase);
  writeFileAtomic(files.cert, toPem('CERTIFICATE', certDer), 0o644);
  return { certDer, certFile: files.cert, keyFile: files.key, serial: serial.hex, notBefore, notAfter };
}
