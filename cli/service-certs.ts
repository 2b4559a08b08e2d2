/**
 * TLS identities of Gatehouse's own listeners (EST, RADIUS EAP/RadSec, broker, admin API),
 * issued by our CA with a serverAuth profile and kept under <keyDir>/tls:
 *   <name>.key.pem  encrypted PKCS#8 (ca.keyPassphrase)   <name>.crt.pem  leaf + chain
 * Rules: reissued when missing, when within 30 days of expiry, when the active issuer changed,
 * or when the requested names changed; the key is reused across renewals only if still present.
 * - loadServiceCert() only reads (broker worker processes: the `serve` primary ensured the
 *   certificate before forking them, so N workers never issue N certificates).
 * - ensureServiceKey(): a bare signing key kept the same way (<name>.key.pem, encrypted, 0600),
 *   e.g. the broker's assertion key shared by its worker processes; never in env or logs.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, loadEncryptedPrivateKey, saveEncryptedKey, SoftwareSigner } from '../platform/index.ts';
import { buildCsr, type CaService } from '../ca/index.ts';
import { encodeName, toPem } from '../ca/asn1/index.ts';

export interface ServiceTls {
  key: KeyObject;
  keyPem: string;
  /** Leaf then chain, PEM. */
  certPem: string;
  /** Our CA certificates (issuers + root) for verifying clients. */
  caDer: Buffer[];
}

const RENEW_MS = 30 * 86_400_000;

export async function ensureServiceCert(ca: CaService, o: { keyDir: string; passphrase: string; name: string; dns: string[]; ip: string[]; profile?: string }): Promise<ServiceTls> {
  const keyFile = join(o.keyDir, 'tls', `${o.name}.key.pem`);
  const certFile = join(o.keyDir, 'tls', `${o.name}.crt.pem`);
  let key = existsSync(keyFile) ? loadEncryptedPrivateKey(keyFile, o.passphrase) : null;
  if (!key) {
    key = generateKey('P-256');
    saveEncryptedKey(keyFile, key, o.passphrase);
  }
  const issuer = ca.activeIssuer();
  const wanted = [...o.dns.map((d) => `DNS:${d}`), ...o.ip.map((i) => `IP Address:${i}`)].sort().join(', ');
  if (existsSync(certFile)) {
    const x = new X509Certificate(readFileSync(certFile));
    const names = (x.subjectAltName ?? '').split(', ').sort().join(', ');
    const fresh = new Date(x.validTo).getTime() - Date.now() > RENEW_MS;
    if (fresh && names === wanted && x.checkIssued(new X509Certificate(issuer.record.certDer)) && x.checkPrivateKey(key)) {
      return { key, keyPem: pemKey(key), certPem: readFileSync(certFile, 'utf8'), caDer: ca.caCertificates() };
    }
  }
  const signer = new SoftwareSigner(key);
  const csr = buildCsr({ signer, subjectDer: encodeName({ commonName: `gatehouse-${o.name}` }) });
  const c = await ca.issue(csr, { profile: o.profile ?? 'radius-server', subject: { commonName: o.dns[0] ?? `gatehouse-${o.name}`, organization: 'Gatehouse' }, sans: { dns: o.dns, ip: o.ip }, actor: `serve:${o.name}` });
  const certPem = [c.der, ...c.chain].map((d) => toPem('CERTIFICATE', d)).join('');
  writeFileSync(certFile, certPem);
  return { key, keyPem: pemKey(key), certPem, caDer: ca.caCertificates() };
}

export function loadServiceCert(ca: CaService, o: { keyDir: string; passphrase: string; name: string }): ServiceTls {
  const key = loadEncryptedPrivateKey(join(o.keyDir, 'tls', `${o.name}.key.pem`), o.passphrase);
  const certPem = readFileSync(join(o.keyDir, 'tls', `${o.name}.crt.pem`), 'utf8');
  return { key, keyPem: pemKey(key), certPem, caDer: ca.caCertificates() };
}

/** A P-256 key under <keyDir>/tls/<name>.key.pem (encrypted), created when missing; PKCS#8 PEM. */
export function ensureServiceKey(o: { keyDir: string; passphrase: string; name: string }): string {
  const keyFile = join(o.keyDir, 'tls', `${o.name}.key.pem`);
  if (existsSync(keyFile)) return loadServiceKey(o);
  const key = generateKey('P-256');
  saveEncryptedKey(keyFile, key, o.passphrase);
  return pemKey(key);
}

/** The key ensureServiceKey() made; ERR_KEY_LOCKED when missing or not unlockable. */
export function loadServiceKey(o: { keyDir: string; passphrase: string; name: string }): string {
  return pemKey(loadEncryptedPrivateKey(join(o.keyDir, 'tls', `${o.name}.key.pem`), o.passphrase));
}

function pemKey(k: KeyObject): string {
  return k.export({ type: 'pkcs8', format: 'pem' }).toString();
}
