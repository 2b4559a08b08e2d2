/**
 * EST client authentication -> an Onboarding credential.
 *
 * Rules enforced:
 * - RFC 7030 §3.3.2: a TLS client certificate counts only when the TLS layer verified it
 *   (`tlsAuthorized`: node checked the chain against our CA chain + the IDevID anchors); an
 *   unverified certificate is treated as no certificate at all.
 * - A verified chain whose leaf is signed by one of our issuers is the device's current
 *   certificate (renewal, RFC 7030 §4.2.2; Onboarding checks its live status); any other verified
 *   chain is a manufacturer IDevID (IEEE 802.1AR; Onboarding checks it against the anchors).
 * - RFC 7030 §3.2.3: HTTP Basic carries the one-time token: user = device id (optional),
 *   password = token. An empty password is no credential.
 * - RFC 7030 §3.5: Basic is accepted only when the CSR's challengePassword equals the base64 of
 *   this connection's channel binding (tls-unique, RFC 5929 §3, for TLS 1.2; tls-exporter, RFC
 *   9266, for TLS 1.3), compared in constant time — or when a verified bootstrap (IDevID)
 *   certificate authenticates the same connection, or when `allowUnboundBasic` is on, and even
 *   then only over TLS (a request without channel binding data did not come over TLS).
 * - /simplereenroll (§4.2.2) accepts nothing but a certificate: any verified chain is passed
 *   as `current`, so a foreign one is refused by Onboarding as ERR_CERT_FOREIGN (403).
 * - Token over a verified IDevID: the token decides (the device the admin approved); the IDevID
 *   only stands in for the channel binding.
 */
import { timingSafeEqual, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { AppError } from '../../platform/errors.ts';
import type { CertificateAuthority } from '../../ca/index.ts';
import type { Credential } from '../onboarding/index.ts';
import type { EstAuth } from './wire.ts';

/** Parses `Authorization: Basic base64(user:pass)`; undefined when absent or not Basic. */
export function parseBasic(header: string | undefined): { user: string; pass: string } | undefined {
  const m = /^Basic[ \t]+([A-Za-z0-9+/=]{1,1024})[ \t]*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  return { user: text.slice(0, i), pass: text.slice(i + 1) };
}

/** RFC 5929 tls-unique (TLS 1.2) or RFC 9266 tls-exporter (TLS 1.3) of a TLS socket. */
export function channelBindingOf(socket: TLSSocket): Buffer | undefined {
  if (typeof socket.getProtocol !== 'function') return undefined;
  const proto = socket.getProtocol();
  if (proto === 'TLSv1.3') return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  if (proto === 'TLSv1.2')
    return (socket.isSessionReused() ? socket.getFinished() : socket.getPeerFinished()) ?? undefined;
  return undefined;
}

/** Is the leaf signed by one of our issuers (cached per issuer certificate)? */
export class OurIssuers {
  private cache = new Map<string, X509Certificate>();
  constructor(private readonly ca: Pick<CertificateAuthority, 'issuers'>) {}
  issued(leafDer: Buffer): boolean {
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(leafDer);
    } catch {
      return false;
    }
    for (const i of this.ca.issuers()) {
      const key = i.record.id;
      let x = this.cache.get(key);
      if (!x) this.cache.set(key, (x = new X509Certificate(i.record.certDer)));
      if (leaf.checkIssued(x) && leaf.verify(x.publicKey)) return true;
    }
    return false;
  }
}

function bound(challengePassword: string | undefined, binding: Buffer | undefined): boolean {
  if (!binding || challengePassword === undefined) return false;
  const want = Buffer.from(binding.toString('base64'));
  const got = Buffer.from(challengePassword.trim());
  return got.length === want.length && timingSafeEqual(got, want);
}

export interface CredentialInput {
  auth: EstAuth;
  renewal: boolean;
  challengePassword: string | undefined;
  allowUnboundBasic: boolean;
}

export function credentialFor(i: CredentialInput, ours: OurIssuers): Credential {
  const chain = i.auth.tlsAuthorized && i.auth.clientChain?.length ? i.auth.clientChain : undefined;
  if (i.renewal) {
    if (!chain)
      throw new AppError(
        'ERR_UNAUTHENTICATED',
        're-enrollment needs the current certificate as TLS client certificate',
      );
    return { kind: 'current', certDer: chain[0]! };
  }
  const current = chain && ours.issued(chain[0]!);
  const basic = i.auth.basic?.pass ? i.auth.basic : undefined;
  if (basic && !current) {
    if (!i.auth.channelBinding) throw new AppError('ERR_UNAUTHENTICATED', 'HTTP Basic is only accepted over TLS');
    const ok = bound(i.challengePassword, i.auth.channelBinding) || chain !== undefined || i.allowUnboundBasic;
    if (!ok)
      throw new AppError(
        'ERR_UNAUTHENTICATED',
        'HTTP Basic needs the TLS channel binding in the CSR challengePassword (RFC 7030 §3.5)',
      );
    return { kind: 'token', token: basic.pass, ...(basic.user ? { claimedDeviceId: basic.user } : {}) };
  }
  if (chain) return current ? { kind: 'current', certDer: chain[0]! } : { kind: 'idevid', chain };
  return { kind: 'none' };
}
