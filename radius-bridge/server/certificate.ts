/**
 * The RADIUS server's TLS identity (EAP-TLS server certificate, RFC 5216 §5.3; RadSec, RFC 6614 §2.3)
 * and the trust list for client certificates.
 *
 * Rules:
 * - Unless the composition root passes key + chain, a fresh P-256 key is made in memory (never
 *   written to disk) and certified by our CA through ca.issue with profile `radius-server`
 *   (id-kp-serverAuth); names come from config (DNS names, or IP addresses as IP SANs).
 * - The chain sent to peers is the leaf plus the issuing CA(s) below the root.
 * - Client certificates are trusted when they chain to one of our non-retired issuers (each issuer
 *   and its parents, root included, so OpenSSL can build the full path).
 */
import { isIP } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { buildCsr, type CertificateAuthority } from '../../ca/index.ts';
import { generateKey, SoftwareSigner } from '../../platform/crypto.ts';

export interface ServerTls {
  key: string | Buffer;
  cert: string | Buffer;
  ca: Buffer[];
}

const EMPTY_NAME = Buffer.from([0x30, 0x00]);

export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** PEM of every certificate of our issuers and their parents, deduplicated. */
export function trustedCaPems(ca: CertificateAuthority): Buffer[] {
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (const i of ca.issuers()) {
    for (const der of [i.record.certDer, ...i.record.chainDer]) {
      const k = der.toString('base64');
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(Buffer.from(derToPem(der)));
    }
  }
  return out;
}

export async function issueServerTls(
  ca: CertificateAuthority,
  names: readonly string[],
  actor = 'radius:bridge',
): Promise<ServerTls & { keyObject: KeyObject }> {
  const key = generateKey('P-256');
  const csrDer = buildCsr({ signer: new SoftwareSigner(key), subjectDer: EMPTY_NAME });
  const dns = names.filter((n) => !isIP(n));
  const ip = names.filter((n) => isIP(n));
  const issued = await ca.issue(csrDer, {
    profile: 'radius-server',
    subject: { commonName: names[0] ?? 'gatehouse-radius', organization: 'Gatehouse' },
    sans: { ...(dns.length ? { dns } : {}), ...(ip.length ? { ip } : {}) },
    actor,
  });
  const certPem = [issued.der, ...issued.chain].map((d) => derToPem(d)).join('');
  return {
    keyObject: key,
    key: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: certPem,
    ca: trustedCaPems(ca),
  };
}
