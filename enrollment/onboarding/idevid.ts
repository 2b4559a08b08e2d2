/**
 * Manufacturer IDevID verification (IEEE 802.1AR).
 *
 * Rules:
 * - The chain (leaf first) must verify up to one of the configured manufacturer trust anchors,
 *   which are separate from Gatehouse's own CA (an IDevID never authorizes network access
 *   by itself, only enrollment of a device already in the inventory).
 * - Validity is checked on every certificate; notAfter 99991231235959Z ("no expiry", 802.1AR
 *   §8.5) is accepted as such.
 * - The device is identified by the subject serialNumber attribute (802.1AR §8.6), matched
 *   against the inventory's idevidSerial.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AppError } from '../../platform/errors.ts';

export function loadTrustAnchors(files: readonly string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) out.push(new X509Certificate(m[0]));
  }
  return out;
}

function valid(c: X509Certificate, now: Date): boolean {
  return new Date(c.validFrom) <= now && (c.validTo.startsWith('Dec 31 23:59:59 9999') || new Date(c.validTo) >= now);
}

export function subjectSerialNumber(c: X509Certificate): string | null {
  for (const line of c.subject.split('\n')) {
    const m = /^serialNumber=(.+)$/.exec(line);
    if (m) return m[1]!.trim();
  }
  return null;
}

/** Verifies the chain and returns the IDevID serial number; throws ERR_CERT_FOREIGN otherwise. */
export function verifyIdevid(chainDer: readonly Buffer[], anchors: readonly X509Certificate[], now = new Date()): string {
  if (chainDer.length === 0) throw new AppError('ERR_UNAUTHENTICATED', 'no client certificate');
  if (anchors.length === 0) throw new AppError('ERR_CERT_FOREIGN', 'no IDevID trust anchors configured');
  let chain: X509Certificate[];
  try {
    chain = chainDer.map((d) => new X509Certificate(d));
  } catch (e) {
    throw new AppError('ERR_CERT_FOREIGN', 'unparseable client certificate', { cause: e });
  }
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i]!;
    if (!valid(c, now)) throw new AppError('ERR_CERT_EXPIRED', 'IDevID chain certificate outside its validity');
    const anchor = anchors.find((a) => c.checkIssued(a) && c.verify(a.publicKey));
    if (anchor) {
      if (!valid(anchor, now)) throw new AppError('ERR_CERT_EXPIRED', 'IDevID trust anchor outside its validity');
      const serial = subjectSerialNumber(chain[0]!);
      if (!serial) throw new AppError('ERR_CERT_FOREIGN', 'IDevID has no subject serialNumber');
      return serial;
    }
    const next = chain[i + 1];
    if (!next || !c.checkIssued(next) || !c.verify(next.publicKey) || !next.ca) break;
  }
  throw new AppError('ERR_CERT_FOREIGN', 'client certificate does not chain to a manufacturer trust anchor');
}
