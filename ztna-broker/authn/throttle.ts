/**
 * Per-user lockout of the broker's own second factors (TOTP, WebAuthn), across sessions and
 * nodes: each session already ends after five failures, but a user (or whoever holds their
 * certificate and IdP login) could otherwise start session after session and keep guessing
 * 6-digit codes.
 *
 * Rules enforced:
 * - `maxFailures` wrong codes/assertions within `windowSeconds` lock the user's factors for
 *   `lockSeconds`; while locked, even a correct code is refused (ERR_MFA_LOCKED, HTTP 429) and
 *   nothing is verified, so a lock cannot be used as an oracle.
 * - The count lives in the database (broker_mfa_failures), read for update and written in one
 *   transaction, so every broker process and node shares it; reaching the limit writes the
 *   audit entry `broker.mfa.locked` in that same transaction.
 * - A success clears the user's count. An expired window starts again at one.
 */
import { withTx, type Db } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { AuditLog } from '../../platform/audit/index.ts';
import { authnStore } from './store.ts';

export interface LockoutConfig {
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
}

export class MfaThrottle {
  constructor(
    private readonly d: { db: Db; audit: AuditLog; config: LockoutConfig; now: () => number },
  ) {}

  /** Throws ERR_MFA_LOCKED while the user is locked out. */
  async assertOpen(userSub: string): Promise<void> {
    const row = await authnStore.mfaFailures(this.d.db, userSub);
    const now = this.d.now();
    if (row?.lockedUntil !== null && row?.lockedUntil !== undefined && row.lockedUntil > now) {
      const retryAfter = Math.ceil((row.lockedUntil - now) / 1000);
      throw new AppError('ERR_MFA_LOCKED', `too many wrong second-factor attempts; try again in ${Math.ceil(retryAfter / 60)} min`, { retryAfter });
    }
  }

  /** Counts one failure; true when this failure locked the user. */
  async failure(user: { sub: string; email: string }): Promise<boolean> {
    const c = this.d.config;
    return withTx(this.d.db, async (trx) => {
      const now = this.d.now();
      await authnStore.ensureMfaFailures(trx, user.sub, now);
      const cur = await authnStore.mfaFailures(trx, user.sub, true);
      const fresh = cur === null || now - cur.windowStart > c.windowSeconds * 1000 || (cur.lockedUntil !== null && cur.lockedUntil <= now);
      const failures = fresh ? 1 : cur.failures + 1;
      const windowStart = fresh ? now : cur.windowStart;
      const locks = failures >= c.maxFailures;
      const lockedUntil = locks ? now + c.lockSeconds * 1000 : null;
      await authnStore.putMfaFailures(trx, user.sub, { failures, windowStart, lockedUntil });
      if (locks) {
        await this.d.audit.append(trx, { actor: `user:${user.email}`, action: 'broker.mfa.locked', target: `user:${user.sub}`, data: { failures, windowSeconds: c.windowSeconds, lockedUntil: new Date(lockedUntil!).toISOString() } });
      }
      return locks;
    });
  }

  async success(userSub: string): Promise<void> {
    await authnStore.clearMfaFailures(this.d.db, userSub);
  }
}
