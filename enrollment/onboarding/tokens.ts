/**
 * One-time enrollment tokens (ETSI EN 303 645 provision 5.1: no fleet-wide shared secrets).
 *
 * Rules:
 * - 192 random bits per token, shown once, stored only as SHA-256; one device per token.
 * - Expire after enrollment.tokenTtlHours; single use; consumed in the SAME transaction that
 *   reserves the certificate's serial (via Grant.onReserve), so a crash cannot leave a token
 *   used without a certificate or a certificate without its token being used.
 * - Hex encoding: the token doubles as the SCEP challengePassword (a PrintableString).
 * - Only approved or enrolled devices get tokens (registration alone proves nothing).
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { withTx, type Db, type Tx } from '../../platform/db/index.ts';
import type { AuditLog } from '../../platform/audit/index.ts';
import { onboardingStore as store, type TokenRow } from './store.ts';

export const hashToken = (t: string) => createHash('sha256').update(t.trim()).digest('hex');
const TOKEN_RE = /^[0-9a-f]{48}$/;

export interface TokenDeps {
  db: Db;
  audit: AuditLog;
  ttlHours: number;
  now?: () => number;
}

export class Tokens {
  private readonly now: () => number;
  constructor(private readonly d: TokenDeps) {
    this.now = d.now ?? Date.now;
  }

  /** Creates a token inside trx (caller checks the device state). Returns the secret once. */
  async create(trx: Tx, deviceId: string, actor: string, ttlHours = this.d.ttlHours): Promise<{ token: string; expiresAt: Date }> {
    if (!(Number.isFinite(ttlHours) && ttlHours > 0 && ttlHours <= 24 * 90)) throw new AppError('ERR_BAD_INPUT', 'token TTL must be between 0 and 2160 hours');
    const token = randomBytes(24).toString('hex');
    const now = this.now();
    const expires = now + Math.round(ttlHours * 3600_000);
    await store.insertToken(trx, hashToken(token), deviceId, now, expires);
    await this.d.audit.append(trx, { actor, action: 'enroll.token.create', target: `device:${deviceId}`, data: { expiresAt: new Date(expires).toISOString(), tokenHashPrefix: hashToken(token).slice(0, 12) } });
    return { token, expiresAt: new Date(expires) };
  }

  /**
   * Checks a presented token without consuming it. Failures are audited (a replayed token is
   * evidence of a cloned or attacked device) and thrown as 401-class errors.
   */
  async check(token: string, peer: string, peeked?: TokenRow | null): Promise<TokenRow> {
    const t = token.trim().toLowerCase();
    // `peeked`: this token's row as peek() just read it (saves a second read of the same row)
    const row = peeked !== undefined ? peeked : TOKEN_RE.test(t) ? await store.getToken(this.d.db, hashToken(t)) : null;
    const fail = async (code: 'ERR_ENROLL_TOKEN_INVALID' | 'ERR_ENROLL_TOKEN_USED' | 'ERR_ENROLL_TOKEN_EXPIRED', msg: string) => {
      await this.d.audit.record({ actor: `peer:${peer}`, action: code === 'ERR_ENROLL_TOKEN_USED' ? 'enroll.token.replay' : 'enroll.token.reject', target: row ? `device:${row.device_id}` : null, data: { reason: code } });
      throw new AppError(code, msg);
    };
    if (!row) return fail('ERR_ENROLL_TOKEN_INVALID', 'enrollment token not recognised');
    if (row.used_at !== null) return fail('ERR_ENROLL_TOKEN_USED', 'enrollment token already used');
    if (row.revoked_at !== null) return fail('ERR_ENROLL_TOKEN_INVALID', 'enrollment token revoked');
    if (Number(row.expires_at) <= this.now()) return fail('ERR_ENROLL_TOKEN_EXPIRED', 'enrollment token expired');
    return row;
  }

  /** The token's row without any check or audit (null for a malformed or unknown token). */
  async peek(token: string): Promise<TokenRow | null> {
    const t = token.trim().toLowerCase();
    return TOKEN_RE.test(t) ? store.getToken(this.d.db, hashToken(t)) : null;
  }

  /**
   * For Grant.onReserve: consumes the token in the serial-reservation transaction. `orphanSerial`
   * lets a token whose previous reservation was never stored be used once more.
   */
  consumer(token: string, orphanSerial?: string): (trx: Tx, serial: string) => Promise<void> {
    const hash = hashToken(token.trim().toLowerCase());
    return async (trx, serial) => {
      if (!(await store.consumeToken(trx, hash, serial, this.now(), orphanSerial))) throw new AppError('ERR_ENROLL_TOKEN_USED', 'enrollment token already used');
    };
  }

  async revokeAll(trx: Tx, deviceId: string): Promise<number> {
    return store.revokeTokens(trx, deviceId, this.now());
  }

  async createFor(deviceId: string, actor: string, assertState: (trx: Tx) => Promise<void>, ttlHours?: number) {
    return withTx(this.d.db, async (trx) => {
      await assertState(trx);
      return this.create(trx, deviceId, actor, ttlHours);
    });
  }
}
