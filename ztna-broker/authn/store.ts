/**
 * The only knex user for second factors and certificate<->user mappings.
 *
 * Rules enforced:
 * - TOTP replay guard (RFC 6238 §5.2: "MUST NOT accept the second attempt of the same OTP"):
 *   acceptTotpStep() moves last_step forward with one conditional UPDATE
 *   (`WHERE last_step < step`), so a code is accepted once across every node sharing the DB.
 * - WebAuthn signature counters only move forward the same way (WebAuthn L2 §6.1.1); a counter
 *   that does not grow (when either side is non-zero) is reported to the caller as a clone.
 * - Mappings are keyed by certificate fingerprint; one certificate maps to one user.
 * - Second-factor failures are one row per user, read for update and written back in the
 *   caller's transaction (authn/throttle.ts).
 * - Driver errors leave as ERR_STORE_* (store-errors.ts).
 */
import type { Tx } from '../../platform/db/index.ts';
import { guardStore, num, parseJson, type Q, type Row } from '../store-errors.ts';

export interface TotpRow {
  userSub: string;
  secretEnc: string;
  confirmed: boolean;
  lastStep: number;
}

export interface WebauthnCredentialRow {
  id: string;
  userSub: string;
  publicKey: string;
  counter: number;
  transports: string[];
}

export const authnStore = {
  getTotp: (q: Q, userSub: string) =>
    guardStore(async () => {
      const r = (await q('broker_totp').where({ user_sub: userSub }).first()) as Row | undefined;
      if (!r) return null;
      return { userSub, secretEnc: r.secret_enc as string, confirmed: Boolean(r.confirmed), lastStep: num(r.last_step) } satisfies TotpRow;
    }),

  /** Stores a new, unconfirmed secret (replacing an unconfirmed one, never a confirmed one). */
  putPendingTotp: (trx: Tx, userSub: string, secretEnc: string, now: number) =>
    guardStore(async () => {
      const cur = (await trx('broker_totp').where({ user_sub: userSub }).first()) as Row | undefined;
      if (cur && cur.confirmed) return false;
      if (cur) await trx('broker_totp').where({ user_sub: userSub }).delete();
      await trx('broker_totp').insert({ user_sub: userSub, secret_enc: secretEnc, confirmed: false, last_step: -1, created_at: now });
      return true;
    }),

  /** Records `step` as used (and confirms the secret); false when it or a later step was used. */
  acceptTotpStep: (q: Q, userSub: string, step: number) =>
    guardStore(async () => {
      const n = await q('broker_totp').where({ user_sub: userSub }).andWhere('last_step', '<', step).update({ last_step: step, confirmed: true });
      return n === 1;
    }),

  deleteTotp: (q: Q, userSub: string) => guardStore(async () => q('broker_totp').where({ user_sub: userSub }).delete()),

  /** A user's second-factor failure window (authn/throttle.ts); locked for update inside trx. */
  mfaFailures: (q: Q, userSub: string, forUpdate = false) =>
    guardStore(async () => {
      let qb = q('broker_mfa_failures').where({ user_sub: userSub });
      if (forUpdate) qb = qb.forUpdate();
      const r = (await qb.first()) as Row | undefined;
      return r ? { failures: num(r.failures), windowStart: num(r.window_start), lockedUntil: r.locked_until === null ? null : num(r.locked_until) } : null;
    }),

  /** Creates the user's row if missing (so that concurrent first failures lock one row). */
  ensureMfaFailures: (trx: Tx, userSub: string, now: number) =>
    guardStore(async () => {
      await trx('broker_mfa_failures').insert({ user_sub: userSub, failures: 0, window_start: now, locked_until: null }).onConflict('user_sub').ignore();
    }),

  putMfaFailures: (trx: Tx, userSub: string, v: { failures: number; windowStart: number; lockedUntil: number | null }) =>
    guardStore(async () => {
      const row = { failures: v.failures, window_start: v.windowStart, locked_until: v.lockedUntil };
      await trx('broker_mfa_failures').insert({ user_sub: userSub, ...row }).onConflict('user_sub').merge(row);
    }),

  clearMfaFailures: (q: Q, userSub: string) => guardStore(async () => q('broker_mfa_failures').where({ user_sub: userSub }).delete()),

  credentials: (q: Q, userSub: string) =>
    guardStore(async () => {
      const rows = (await q('broker_webauthn_credentials').where({ user_sub: userSub }).orderBy('created_at')) as Row[];
      return rows.map(
        (r): WebauthnCredentialRow => ({
          id: r.id as string,
          userSub,
          publicKey: r.public_key as string,
          counter: num(r.counter),
          transports: parseJson<string[]>(r.transports, []),
        }),
      );
    }),

  addCredential: (q: Q, c: WebauthnCredentialRow, now: number) =>
    guardStore(async () => {
      await q('broker_webauthn_credentials').insert({
        id: c.id,
        user_sub: c.userSub,
        public_key: c.publicKey,
        counter: c.counter,
        transports: JSON.stringify(c.transports),
        created_at: now,
      });
    }),

  /** Moves the counter forward; false when it did not grow (possible cloned authenticator). */
  useCredential: (q: Q, id: string, counter: number, now: number) =>
    guardStore(async () => {
      const qb = q('broker_webauthn_credentials').where({ id });
      if (counter > 0) qb.andWhere('counter', '<', counter);
      else qb.andWhere('counter', '=', 0);
      return (await qb.update({ counter, last_used_at: now })) === 1;
    }),

  deleteCredentials: (q: Q, userSub: string) => guardStore(async () => q('broker_webauthn_credentials').where({ user_sub: userSub }).delete()),

  hasFactor: (q: Q, userSub: string) =>
    guardStore(async () => {
      const t = (await q('broker_totp').where({ user_sub: userSub, confirmed: true }).first()) as Row | undefined;
      const w = (await q('broker_webauthn_credentials').where({ user_sub: userSub }).first()) as Row | undefined;
      return { totp: Boolean(t), webauthn: Boolean(w) };
    }),

  mappedUser: (q: Q, certFingerprint: string) =>
    guardStore(async () => {
      const r = (await q('broker_cert_mappings').where({ cert_fp: certFingerprint }).first()) as Row | undefined;
      return r ? (r.user as string) : null;
    }),

  putMapping: (trx: Tx, certFingerprint: string, user: string, actor: string, now: number) =>
    guardStore(async () => {
      await trx('broker_cert_mappings').where({ cert_fp: certFingerprint }).delete();
      await trx('broker_cert_mappings').insert({ cert_fp: certFingerprint, user, created_by: actor, created_at: now });
    }),

  deleteMapping: (trx: Tx, certFingerprint: string) =>
    guardStore(async () => (await trx('broker_cert_mappings').where({ cert_fp: certFingerprint }).delete()) > 0),
};
