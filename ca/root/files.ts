/**
 * The offline root folder: file names and loading the root with its key unlocked.
 *
 * Rules enforced:
 * - The folder holds root.key.pem (encrypted PKCS#8, 0600), root.crt.pem, crlnumber (the last
 *   CRL number, only ever increasing, RFC 5280 §5.2.3), revoked.json (the append-only list of
 *   revoked issuing CA certificates, revoked.ts), root.crl and issued.log (one line per signed
 *   issuing CA certificate, for the operator's ledger).
 * - A root is never overwritten: createRoot refuses a folder that already holds one.
 * - The key must match the certificate (ERR_KEY_LOCKED otherwise) and the passphrase is only
 *   used to unlock it (platform/crypto loadEncryptedKey).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEncryptedKey, writeFileAtomic, type SoftwareSigner } from '../../platform/crypto.ts';
import { AppError } from '../../platform/errors.ts';
import { fromPem } from '../asn1/index.ts';
import { findExtension, parseCertificate, type ParsedCertificate } from '../cert-parse.ts';
import { OID, parseDerExact, readOctetString } from '../asn1/index.ts';

export const rootFiles = (dir: string) => ({
  key: join(dir, 'root.key.pem'),
  cert: join(dir, 'root.crt.pem'),
  crlNumber: join(dir, 'crlnumber'),
  crl: join(dir, 'root.crl'),
  revoked: join(dir, 'revoked.json'),
  ledger: join(dir, 'issued.log'),
});

export interface LoadedRoot {
  signer: SoftwareSigner;
  certDer: Buffer;
  cert: ParsedCertificate;
  ski: Buffer;
}

export function loadRoot(dir: string, passphrase: string): LoadedRoot {
  const f = rootFiles(dir);
  if (!existsSync(f.cert)) throw new AppError('ERR_NOT_FOUND', `no root certificate in ${dir}`);
  const certDer = fromPem(readFileSync(f.cert, 'utf8'), 'CERTIFICATE');
  const cert = parseCertificate(certDer);
  const signer = loadEncryptedKey(f.key, passphrase);
  if (!signer.spki.equals(cert.tbs.spkiDer)) throw new AppError('ERR_KEY_LOCKED', 'root key does not match root certificate');
  const skiExt = findExtension(cert.tbs, OID.subjectKeyIdentifier);
  if (!skiExt) throw new AppError('ERR_BAD_INPUT', 'root certificate has no subjectKeyIdentifier');
  return { signer, certDer, cert, ski: Buffer.from(readOctetString(skiExt.value, parseDerExact(skiExt.value))) };
}

/** Next CRL number, persisted before the CRL is handed out (RFC 5280 §5.2.3: monotonic). */
export function nextCrlNumber(dir: string): bigint {
  const file = rootFiles(dir).crlNumber;
  const last = existsSync(file) ? BigInt(readFileSync(file, 'utf8').trim() || '0') : 0n;
  const next = last + 1n;
  writeFileAtomic(file, `${next}\n`, 0o600);
  return next;
}

export function recordIssued(dir: string, line: Record<string, unknown>): void {
  appendFileSync(rootFiles(dir).ledger, JSON.stringify(line) + '\n', { mode: 0o600 });
}
