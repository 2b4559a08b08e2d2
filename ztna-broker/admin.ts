/**
 * Administrative operations the CLI (and tests) call directly, outside HTTP.
 *
 * Rules enforced:
 * - Every change names its actor and is audited in the same transaction as the change
 *   (sessions/service.ts, authn/identity.ts, this file for factor resets).
 * - Killing a session removes it, its tokens and hand-offs, and closes its live WebSockets on
 *   every node (broker.session.killed); the next HTTP request on any host fails the session check.
 * - Resetting a user's second factors is the recovery path for a lost authenticator; the user
 *   must enrol again (self-enrolment, when enabled) after certificate + SSO.
 */
import { withTx } from '../platform/db/index.ts';
import { authnStore } from './authn/store.ts';
import type { BrokerContext } from './context.ts';
import type { SessionRecord } from './sessions/types.ts';

export class BrokerAdmin {
  constructor(private readonly b: BrokerContext) {}

  async killSession(sessionId: string, actor: string): Promise<boolean> {
    const gone = await this.b.sessions.end(sessionId, actor, 'killed');
    this.b.assertions.forgetSession(sessionId);
    return gone;
  }

  /** Kills every session of a user (by OIDC sub); returns how many were ended. */
  async killUserSessions(userSub: string, actor: string): Promise<number> {
    let n = 0;
    for (const s of await this.b.sessions.list({ userSub, limit: 10_000 })) if (await this.killSession(s.id, actor)) n++;
    return n;
  }

  listSessions(filter: { userSub?: string; limit?: number } = {}): Promise<SessionRecord[]> {
    return this.b.sessions.list(filter);
  }

  /** Binds a certificate (SHA-256 fingerprint) to a user (e-mail or OIDC sub). */
  mapCertificate(fingerprint: string, user: string, actor: string): Promise<void> {
    return this.b.mappings.map(fingerprint, user, actor);
  }

  unmapCertificate(fingerprint: string, actor: string): Promise<boolean> {
    return this.b.mappings.unmap(fingerprint, actor);
  }

  /** Removes the user's TOTP secret and security keys (lost authenticator). */
  async resetFactors(userSub: string, actor: string): Promise<void> {
    await withTx(this.b.db, async (trx) => {
      await authnStore.deleteTotp(trx, userSub);
      await authnStore.deleteCredentials(trx, userSub);
      await this.b.audit.append(trx, { actor, action: 'broker.mfa.reset', target: `user:${userSub}` });
    });
  }

  purgeExpired(): Promise<number> {
    return this.b.sessions.purgeExpired();
  }
}
