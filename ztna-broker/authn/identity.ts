/**
 * Binding the SSO identity to the client certificate, and trusting the IdP's MFA.
 *
 * Rules enforced:
 * - The certificate must belong to the user who signed in: an rfc822Name SAN of the
 *   certificate (as the CA recorded it) equals the user's e-mail case-insensitively — only when
 *   the IdP says the e-mail is verified, if so configured — or an explicit mapping
 *   (certificate fingerprint -> e-mail or `sub`) made by an admin says so. Nothing else binds.
 * - Mappings are created and removed with an audit entry in the same transaction.
 * - IdP MFA is trusted only when configured: the ID token's `amr` (RFC 8176) contains one of
 *   the configured values, or its `acr` is one of the configured ones. The MFA time is the
 *   ID token's auth_time (or now when absent).
 */
import type { AuditLog } from '../../platform/audit/index.ts';
import { withTx, type Db } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { normalizeFingerprint } from '../policy/index.ts';
import type { SessionMfa } from '../sessions/types.ts';
import type { PeerCert } from '../tls/peer.ts';
import type { OidcClaims } from './oidc.ts';
import { authnStore } from './store.ts';

export type BindingResult = { ok: true; via: 'email-san' | 'mapping' } | { ok: false; reason: 'certificate-user-mismatch' | 'email-not-verified' };

export async function certificateBelongsTo(
  db: Db,
  cert: PeerCert,
  claims: Pick<OidcClaims, 'sub' | 'email' | 'emailVerified'>,
  requireEmailVerified: boolean,
): Promise<BindingResult> {
  const mapped = await authnStore.mappedUser(db, cert.fingerprint);
  if (mapped !== null && (mapped === claims.sub || (claims.email !== '' && mapped.toLowerCase() === claims.email))) {
    return { ok: true, via: 'mapping' };
  }
  if (claims.email !== '' && cert.emails.includes(claims.email)) {
    if (requireEmailVerified && !claims.emailVerified) return { ok: false, reason: 'email-not-verified' };
    return { ok: true, via: 'email-san' };
  }
  return { ok: false, reason: 'certificate-user-mismatch' };
}

export interface IdpTrust {
  amr: readonly string[];
  acr: readonly string[];
}

export function idpMfa(claims: Pick<OidcClaims, 'amr' | 'acr' | 'authTime'>, trust: IdpTrust, nowMs: number): SessionMfa | null {
  const amrOk = trust.amr.length > 0 && claims.amr.some((a) => trust.amr.includes(a));
  const acrOk = trust.acr.length > 0 && claims.acr !== null && trust.acr.includes(claims.acr);
  if (!amrOk && !acrOk) return null;
  return { method: 'idp', at: claims.authTime ?? Math.floor(nowMs / 1000) };
}

function fingerprintOrThrow(fp: string): string {
  const n = normalizeFingerprint(fp);
  if (n === null) throw new AppError('ERR_BAD_INPUT', 'certificate fingerprint must be SHA-256 hex');
  return n;
}

/** Admin operations on certificate <-> user mappings (audited). */
export class CertMappings {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  async map(fingerprint: string, user: string, actor: string): Promise<void> {
    const fp = fingerprintOrThrow(fingerprint);
    if (typeof user !== 'string' || user.length === 0 || user.length > 320) throw new AppError('ERR_BAD_INPUT', 'user must be an e-mail or subject');
    await withTx(this.db, async (trx) => {
      await authnStore.putMapping(trx, fp, user, actor, this.now());
      await this.audit.append(trx, { actor, action: 'broker.cert.map', target: `cert:${fp}`, data: { user } });
    });
  }

  async unmap(fingerprint: string, actor: string): Promise<boolean> {
    const fp = fingerprintOrThrow(fingerprint);
    return withTx(this.db, async (trx) => {
      const gone = await authnStore.deleteMapping(trx, fp);
      if (gone) await this.audit.append(trx, { actor, action: 'broker.cert.unmap', target: `cert:${fp}` });
      return gone;
    });
  }

  lookup(fingerprint: string): Promise<string | null> {
    return authnStore.mappedUser(this.db, fingerprintOrThrow(fingerprint));
  }
}
