/**
 * Certificates for the broker tests: issued by the real CA (admin-client, device-tls), plus the
 * ones the CA would never issue — an expired certificate under our issuing CA and self-signed
 * "foreign" certificates — built with the CA's own DER writer.
 *
 * Rules: every certificate comes with its PEM key, its SHA-256 fingerprint and its serial in the
 * CA's form, so tests can revoke it, pin it or hand it to curl and Chromium.
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SoftwareSigner, type Signer } from '../../platform/crypto.ts';
import { buildTbs, certExtensions, signCertificate, signatureAlgorithmFor, type CaService } from '../../ca/index.ts';
import { encodeName } from '../../ca/asn1/index.ts';
import { makeCsr } from '../helpers/pki.ts';

export interface TestCert {
  name: string;
  der: Buffer;
  certPem: string;
  keyPem: string;
  /** Leaf + chain PEM (what a TLS server sends). */
  chainPem: string;
  fingerprint: string;
  serial: string;
  certFile: string;
  keyFile: string;
}

export function pemOf(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
}

function keyPemOf(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function finish(dir: string, name: string, der: Buffer, key: KeyObject, chain: Buffer[], serial: string): TestCert {
  const certPem = pemOf(der);
  const keyPem = keyPemOf(key);
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(certFile, certPem);
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  return { name, der, certPem, keyPem, chainPem: certPem + chain.map(pemOf).join(''), fingerprint: createHash('sha256').update(der).digest('hex'), serial, certFile, keyFile };
}

export async function issueAdmin(ca: CaService, dir: string, name: string, email: string): Promise<TestCert> {
  const { csrDer, key } = makeCsr('P-256');
  const c = await ca.issue(csrDer, { profile: 'admin-client', subject: { commonName: name }, sans: { email: [email] }, actor: 'test' });
  return finish(dir, name, c.der, key, c.chain, c.serial);
}

export async function issueDevice(ca: CaService, dir: string, name: string, dns: string[], serverAuth = false): Promise<TestCert> {
  const { csrDer, key } = makeCsr('P-256');
  const c = await ca.issue(csrDer, { profile: 'device-tls', serverAuth, subject: { commonName: name }, sans: { dns }, actor: 'test' });
  return finish(dir, name, c.der, key, c.chain, c.serial);
}

function positiveSerial(): Buffer {
  const b = randomBytes(16);
  b[0] = ((b[0] as number) & 0x7f) | 0x10;
  return b;
}

/** GeneralNames with one rfc822Name (RFC 5280 §4.2.1.6), short e-mails only. */
function emailSan(email: string): Buffer {
  const name = Buffer.concat([Buffer.from([0x81, email.length]), Buffer.from(email, 'ascii')]);
  return Buffer.concat([Buffer.from([0x30, name.length]), name]);
}

function build(o: { issuerSigner: Signer; issuerName: Buffer; subjectKey: KeyObject; cn: string; notBefore: Date; notAfter: Date; email?: string }): { der: Buffer; serial: string } {
  const serial = positiveSerial();
  const exts = [certExtensions.basicConstraints(false)];
  if (o.email) exts.push(certExtensions.subjectAltName(emailSan(o.email), false));
  const tbs = buildTbs({
    serial,
    signatureAlgorithm: signatureAlgorithmFor(o.issuerSigner.algorithm),
    issuerDer: o.issuerName,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    subjectDer: encodeName({ commonName: o.cn }),
    spkiDer: new SoftwareSigner(o.subjectKey).spki,
    extensions: exts,
  });
  return { der: signCertificate(o.issuerSigner, tbs), serial: serial.toString('hex').replace(/^0+/, '') };
}

const DAY = 86_400_000;

/** A certificate chaining to our issuing CA whose validity ended yesterday. */
export function expiredUnderIssuer(ca: CaService, dir: string, email: string): TestCert {
  const issuer = ca.activeIssuer();
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const r = build({ issuerSigner: issuer.signer, issuerName: issuer.nameDer, subjectKey: key, cn: 'expired', notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY), email });
  return finish(dir, 'expired', r.der, key, [issuer.record.certDer], r.serial);
}

/** A self-signed certificate (not from our CA) with the given e-mail SAN. */
export function foreignSelfSigned(dir: string, name: string, email?: string): TestCert {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const name_ = encodeName({ commonName: name });
  const r = build({ issuerSigner: new SoftwareSigner(key), issuerName: name_, subjectKey: key, cn: name, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 30 * DAY), ...(email ? { email } : {}) });
  return finish(dir, name, r.der, key, [], r.serial);
}
