/**
 * The SCEP RA / decrypter identity: the RSA key clients encrypt their requests to and that
 * signs every CertRep, with its certificate from our own CA (profile `scep-ra`).
 *
 * Rules enforced:
 * - SCEP is RSA-only (RFC 8894 §3.1, §3.5.2): the RA key is RSA-2048 or RSA-3072 even when the
 *   issuing CA is EC, and its certificate carries keyEncipherment + digitalSignature (the
 *   scep-ra profile), so clients can encrypt to it and verify CertReps with it.
 * - The key is generated once and kept encrypted at rest (platform/crypto PKCS#8 + PBES2, file
 *   0600) in the directory the caller names (`gatehouse serve` passes <dataDir>/ca); a wrong
 *   passphrase fails the boot (ERR_KEY_LOCKED), it never silently makes a new key.
 * - The certificate (PEM next to the key) is re-issued when it is missing, does not match the
 *   key, was not issued by the ACTIVE issuer (GetCACert sends RA + active chain, RFC 8894
 *   §4.2.1.2, so clients must be able to chain the RA to it), is not `good` at the CA, or is
 *   within `renewBeforeDays` (30) of expiry.
 * - Renewal keeps the key; the previous certificate stays available in memory so a request
 *   enveloped to it (issuer + serial recipient id) still opens during the rollover.
 * - current() never blocks: when renewal is due it starts one in the background (at most one
 *   attempt per hour) and keeps serving the still-valid certificate.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../platform/errors.ts';
import {
  SoftwareSigner,
  generateKey,
  loadEncryptedPrivateKey,
  saveEncryptedKey,
  writeFileAtomic,
} from '../../platform/crypto.ts';
import type { Logger } from '../../platform/log.ts';
import { buildCsr, type CertificateAuthority } from '../../ca/index.ts';
import { encodeName } from '../../ca/asn1/index.ts';
import type { ScepRa } from './message.ts';

export const RA_SUBJECT_CN = 'Gatehouse SCEP RA';
export const RA_KEY_FILE = 'scep-ra.key';
export const RA_CERT_FILE = 'scep-ra.crt';
const DAY = 86_400_000;
const RETRY_MS = 3_600_000;

/** What the handlers need: the RA to decrypt and sign with, and the one before a renewal. */
export interface ScepRaSource {
  current(): ScepRa;
  previous(): ScepRa | undefined;
}

export interface ScepRaOptions {
  /** Directory for scep-ra.key / scep-ra.crt (the CLI passes <dataDir>/ca). */
  dir: string;
  /** Encrypts the RA key at rest (the CA key passphrase). */
  passphrase: string;
  ca: CertificateAuthority;
  keyAlgorithm?: 'RSA-2048' | 'RSA-3072';
  renewBeforeDays?: number;
  now?: () => Date;
  log?: Logger;
}

export class ScepRaIdentity implements ScepRaSource {
  private ra!: ScepRa;
  private renewAt = 0;
  private prev: ScepRa | undefined;
  private renewing: Promise<boolean> | undefined;
  private lastAttempt = 0;
  private readonly now: () => Date;

  private constructor(
    private readonly o: ScepRaOptions,
    private readonly key: KeyObject,
  ) {
    this.now = o.now ?? (() => new Date());
  }

  /** Loads (or creates) the key, then loads (or issues) a usable certificate. */
  static async open(o: ScepRaOptions): Promise<ScepRaIdentity> {
    const keyPath = join(o.dir, RA_KEY_FILE);
    let key: KeyObject;
    if (existsSync(keyPath)) {
      key = loadEncryptedPrivateKey(keyPath, o.passphrase);
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (key.asymmetricKeyType !== 'rsa' || bits < 2048) {
        throw new AppError('ERR_CONFIG', `${keyPath}: the SCEP RA key must be RSA of at least 2048 bits`);
      }
    } else {
      key = generateKey(o.keyAlgorithm ?? 'RSA-2048');
      saveEncryptedKey(keyPath, key, o.passphrase);
    }
    const id = new ScepRaIdentity(o, key);
    const certPath = join(o.dir, RA_CERT_FILE);
    const stored = existsSync(certPath) ? readCert(certPath) : undefined;
    if (stored && (await id.usable(stored))) id.use({ certDer: stored, key });
    else await id.issue();
    return id;
  }

  current(): ScepRa {
    const now = this.now().getTime();
    if (!this.renewing && now >= this.renewAt && now - this.lastAttempt > RETRY_MS) {
      void this.renewIfDue();
    }
    return this.ra;
  }

  previous(): ScepRa | undefined {
    return this.prev;
  }

  /** Re-issues the certificate when it is due (or no longer usable); true when it did. */
  renewIfDue(): Promise<boolean> {
    this.renewing ??= (async () => {
      this.lastAttempt = this.now().getTime();
      try {
        if (await this.usable(this.ra.certDer)) return false;
        await this.issue();
        return true;
      } catch (e) {
        this.o.log?.error({ err: e }, 'SCEP RA certificate renewal failed; still serving the old one');
        return false;
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  private renewTime(x: X509Certificate): number {
    return new Date(x.validTo).getTime() - (this.o.renewBeforeDays ?? 30) * DAY;
  }

  private use(ra: ScepRa): void {
    this.ra = ra;
    this.renewAt = this.renewTime(new X509Certificate(ra.certDer));
  }

  private async usable(certDer: Buffer): Promise<boolean> {
    let x: X509Certificate;
    try {
      x = new X509Certificate(certDer);
    } catch {
      return false;
    }
    const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
    if (!spki(x.publicKey).equals(spki(createPublicKey(this.key)))) return false;
    const active = new X509Certificate(this.o.ca.activeIssuer().record.certDer);
    if (!x.checkIssued(active) || !x.verify(active.publicKey)) return false;
    if (new Date(x.validFrom) > this.now() || this.now().getTime() >= this.renewTime(x)) return false;
    return (await this.o.ca.statusOfCert(certDer)).state === 'good';
  }

  private async issue(): Promise<void> {
    const subject = { commonName: RA_SUBJECT_CN };
    const csrDer = buildCsr({ signer: new SoftwareSigner(this.key), subjectDer: encodeName(subject) });
    const cert = await this.o.ca.issue(csrDer, { profile: 'scep-ra', subject, deviceId: null, actor: 'system:scep-ra' });
    writeFileAtomic(join(this.o.dir, RA_CERT_FILE), new X509Certificate(cert.der).toString(), 0o644);
    if (this.ra) this.prev = this.ra;
    this.use({ certDer: cert.der, key: this.key });
    this.o.log?.info({ serial: cert.serial, notAfter: cert.notAfter.toISOString() }, 'SCEP RA certificate issued');
  }
}

function readCert(path: string): Buffer | undefined {
  try {
    return new X509Certificate(readFileSync(path)).raw;
  } catch {
    return undefined;
  }
}

/** The RA factory `gatehouse serve` calls: ScepRaIdentity.open. */
export const openScepRa = (o: ScepRaOptions): Promise<ScepRaIdentity> => ScepRaIdentity.open(o);
