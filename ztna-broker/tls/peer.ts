/**
 * Who is on the other end of a TLS connection: the client certificate, checked per request.
 *
 * Rules enforced:
 * - Nothing is proxied without a chain that verified against our CA (`socket.authorized`);
 *   the listener accepts unverified handshakes only so it can explain the refusal.
 * - Missing, foreign (chain not to our CA), expired and not-yet-valid certificates are refused
 *   with distinct reasons; expiry is re-checked per request (a keep-alive connection outlives
 *   the handshake).
 * - Live revocation state (ca.statusOfCert) is checked per request and per upgrade; an answer is
 *   reused for `cacheMs` at most (per certificate, across its connections), and any
 *   `cert.revoked` event or bus resync invalidates every cached answer at once (epoch counter).
 * - Fail closed: revoked -> 'certificate-revoked'; unknown to the CA (never issued, retired
 *   issuer, stored DER differs) -> 'certificate-unknown'; store error -> 503
 *   'revocation-state-unavailable'. Never allow on doubt.
 * - Only certificates of the configured CA profiles (admin-client) open the broker.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { CertificateAuthority } from '../../ca/index.ts';
import type { Logger } from '../../platform/log.ts';

export interface PeerCert {
  readonly der: Buffer;
  /** SHA-256 of the DER, lower-case hex. */
  readonly fingerprint: string;
  readonly issuerId: string;
  /** Lower-case hex, no leading zeros (ca/serial.ts form). */
  readonly serial: string;
  readonly emails: readonly string[];
  readonly profile: string;
  readonly notAfter: number;
}

export type PeerResult = { ok: true; cert: PeerCert } | { ok: false; reason: string; status: 403 | 503 };

interface Cached {
  epoch: number;
  at: number;
  result: PeerResult;
}

const AUTH_ERRORS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate-expired',
  CERT_NOT_YET_VALID: 'certificate-not-yet-valid',
};

/** Lower-case hex without leading zeros, as the CA stores serials. */
export function normalizeSerialHex(hex: string): string {
  const s = hex.toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+/, '');
  return s === '' ? '0' : s;
}

interface Presented {
  der: Buffer;
  fingerprint: string;
  notBefore: number;
  notAfter: number;
}

export class PeerVerifier {
  private epoch = 0;
  /** What each connection presented (fixed for its life: renegotiation is disabled). */
  private readonly presented = new WeakMap<TLSSocket, Presented | PeerResult>();
  /** Live answers per certificate fingerprint, shared by all connections of that certificate. */
  private readonly answers = new Map<string, Cached>();

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly opts: { profiles: readonly string[]; cacheMs: number; now: () => number; log: Logger },
  ) {}

  /** Invalidates every cached answer (revocation event, bus resync). */
  invalidateAll(): void {
    this.epoch++;
    this.answers.clear();
  }

  async check(socket: TLSSocket): Promise<PeerResult> {
    const now = this.opts.now();
    let p = this.presented.get(socket);
    if (p === undefined) {
      p = inspect(socket);
      this.presented.set(socket, p);
    }
    if ('ok' in p) return p;
    if (now >= p.notAfter) return { ok: false, reason: 'certificate-expired', status: 403 };
    if (now < p.notBefore) return { ok: false, reason: 'certificate-not-yet-valid', status: 403 };
    const c = this.answers.get(p.fingerprint);
    if (c !== undefined && c.epoch === this.epoch && now - c.at <= this.opts.cacheMs) return c.result;
    const epoch = this.epoch;
    const result = await this.live(p);
    // A revocation that arrived while we asked makes this answer stale: do not cache it.
    const transient = !result.ok && result.status === 503;
    if (epoch === this.epoch && !transient) {
      if (this.answers.size > 10_000) this.answers.clear();
      this.answers.set(p.fingerprint, { epoch, at: now, result });
    }
    return result;
  }

  private async live(p: Presented): Promise<PeerResult> {
    let status;
    try {
      status = await this.ca.statusOfCert(p.der);
    } catch (e) {
      this.opts.log.warn({ err: e }, 'revocation state unavailable');
      return { ok: false, reason: 'revocation-state-unavailable', status: 503 };
    }
    if (status.state === 'revoked') return { ok: false, reason: 'certificate-revoked', status: 403 };
    if (status.state !== 'good') return { ok: false, reason: 'certificate-unknown', status: 403 };
    const rec = status.record;
    if (!this.opts.profiles.includes(rec.profile)) return { ok: false, reason: 'certificate-profile-not-allowed', status: 403 };
    const cert: PeerCert = {
      der: p.der,
      fingerprint: p.fingerprint,
      issuerId: rec.issuerId,
      serial: rec.serial,
      emails: (rec.sans.email ?? []).map((e) => e.toLowerCase()),
      profile: rec.profile,
      notAfter: rec.notAfter ? Math.min(rec.notAfter.getTime(), p.notAfter) : p.notAfter,
    };
    return { ok: true, cert };
  }
}

/** The certificate a connection presented, or why it cannot open the broker at all. */
function inspect(socket: TLSSocket): Presented | PeerResult {
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false) : null;
  if (peer === null || peer.raw === undefined || Object.keys(peer).length === 0) {
    return { ok: false, reason: 'certificate-missing', status: 403 };
  }
  if (!socket.authorized) {
    const code = String(socket.authorizationError ?? '');
    return { ok: false, reason: AUTH_ERRORS[code] ?? 'certificate-foreign', status: 403 };
  }
  const notAfter = Date.parse(peer.valid_to);
  const notBefore = Date.parse(peer.valid_from);
  if (!Number.isFinite(notAfter) || !Number.isFinite(notBefore)) return { ok: false, reason: 'certificate-foreign', status: 403 };
  return { der: peer.raw, fingerprint: createHash('sha256').update(peer.raw).digest('hex'), notBefore, notAfter };
}
