/**
 * Built-in TOTP second factor (RFC 6238 over RFC 4226 HOTP), with otpauth.
 *
 * Rules enforced:
 * - Secrets are 160 random bits (RFC 4226 §4 R6), HMAC-SHA1 (what authenticator apps support),
 *   stored sealed (secret-box.ts), shown once at enrolment; a confirmed secret is never shown
 *   or replaced by self-service.
 * - Codes are exactly `digits` ASCII digits; `window` steps either side of now are accepted
 *   (RFC 6238 §5.2 network delay allowance).
 * - Replay guard: the matched time step must be later than the last accepted one for the user
 *   (conditional UPDATE in the store, atomic across nodes); a replayed or older code is
 *   ERR_TOTP_REPLAY even inside its validity window.
 * - The first accepted code confirms a pending enrolment.
 */
import * as OTPAuth from 'otpauth';
import type { Db } from '../../platform/db/index.ts';
import { withTx } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { SecretBox } from './secret-box.ts';
import { authnStore } from './store.ts';

export interface TotpOptions {
  issuer: string;
  digits: 6 | 8;
  periodSeconds: number;
  window: number;
}

export interface TotpEnrolment {
  secretBase32: string;
  uri: string;
}

export class TotpService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly opts: TotpOptions,
    private readonly now: () => number,
  ) {}

  private totp(label: string, secret: OTPAuth.Secret): OTPAuth.TOTP {
    return new OTPAuth.TOTP({ issuer: this.opts.issuer, label, algorithm: 'SHA1', digits: this.opts.digits, period: this.opts.periodSeconds, secret });
  }

  async status(userSub: string): Promise<'none' | 'pending' | 'confirmed'> {
    const row = await authnStore.getTotp(this.db, userSub);
    return row === null ? 'none' : row.confirmed ? 'confirmed' : 'pending';
  }

  /** Creates (or re-creates, while unconfirmed) the user's secret; ERR_CONFLICT once confirmed. */
  async beginEnrolment(user: { sub: string; email: string }): Promise<TotpEnrolment> {
    const secret = new OTPAuth.Secret({ size: 20 });
    const sealed = this.box.seal(secret.base32, user.sub);
    const stored = await withTx(this.db, (trx) => authnStore.putPendingTotp(trx, user.sub, sealed, this.now()));
    if (!stored) throw new AppError('ERR_CONFLICT', 'a TOTP authenticator is already enrolled');
    return { secretBase32: secret.base32, uri: this.totp(user.email, secret).toString() };
  }

  /** The pending secret again (the enrolment page is reloaded before confirmation). */
  async pendingEnrolment(user: { sub: string; email: string }): Promise<TotpEnrolment | null> {
    const row = await authnStore.getTotp(this.db, user.sub);
    if (row === null || row.confirmed) return null;
    const secret = OTPAuth.Secret.fromBase32(this.box.open(row.secretEnc, user.sub));
    return { secretBase32: secret.base32, uri: this.totp(user.email, secret).toString() };
  }

  /** Verifies a code and consumes its time step; returns the step. */
  async verify(user: { sub: string; email: string }, code: unknown): Promise<number> {
    const re = this.opts.digits === 8 ? /^\d{8}$/ : /^\d{6}$/;
    if (typeof code !== 'string' || !re.test(code)) throw new AppError('ERR_MFA_INVALID', 'code must be digits only');
    const row = await authnStore.getTotp(this.db, user.sub);
    if (row === null) throw new AppError('ERR_MFA_INVALID', 'no TOTP authenticator enrolled');
    const secret = OTPAuth.Secret.fromBase32(this.box.open(row.secretEnc, user.sub));
    const now = this.now();
    const delta = this.totp(user.email, secret).validate({ token: code, timestamp: now, window: this.opts.window });
    if (delta === null) throw new AppError('ERR_MFA_INVALID', 'wrong code');
    const step = OTPAuth.TOTP.counter({ period: this.opts.periodSeconds, timestamp: now }) + delta;
    if (step <= row.lastStep || !(await authnStore.acceptTotpStep(this.db, user.sub, step))) {
      throw new AppError('ERR_TOTP_REPLAY', 'this code was already used; wait for the next one');
    }
    return step;
  }
}
