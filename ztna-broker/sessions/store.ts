/**
 * The only knex user for sessions, their per-host tokens, login states and hand-off codes.
 *
 * Rules enforced:
 * - Tokens, login ids and hand-off codes are looked up by their SHA-256 hash only.
 * - Login states and hand-off codes are single use: take*() deletes the row and only the caller
 *   whose delete removed it gets the value (two concurrent callbacks cannot both win).
 * - Deleting a session deletes its tokens and hand-offs in the same transaction.
 * - Driver errors leave as ERR_STORE_* (store-errors.ts).
 */
import type { Tx } from '../../platform/db/index.ts';
import { guardStore, num, parseJson, type Q, type Row } from '../store-errors.ts';
import type { Handoff, LoginState, SessionMfa, SessionPending, SessionRecord } from './types.ts';

function toSession(r: Row): SessionRecord {
  const method = r.mfa_method as SessionMfa['method'] | null;
  return {
    id: r.id as string,
    user: { sub: r.user_sub as string, email: r.user_email as string, groups: parseJson<string[]>(r.user_groups, []) },
    idpAmr: parseJson<string[]>(r.idp_amr, []),
    cert: { fingerprint: r.cert_fp as string, issuerId: r.cert_issuer_id as string, serial: r.cert_serial as string },
    stage: r.stage === 'active' ? 'active' : 'mfa',
    mfa: method ? { method, at: num(r.mfa_at) } : null,
    csrf: r.csrf as string,
    pending: parseJson<SessionPending | null>(r.pending, null),
    createdAt: num(r.created_at),
    lastSeenAt: num(r.last_seen_at),
    expiresAt: num(r.expires_at),
  };
}

export interface SessionPatch {
  stage?: 'mfa' | 'active';
  mfa?: SessionMfa | null;
  pending?: SessionPending | null;
  lastSeenAt?: number;
}

export const sessionStore = {
  insert: (q: Q, s: SessionRecord) =>
    guardStore(async () => {
      await q('broker_sessions').insert({
        id: s.id,
        user_sub: s.user.sub,
        user_email: s.user.email,
        user_groups: JSON.stringify(s.user.groups),
        idp_amr: JSON.stringify(s.idpAmr),
        cert_fp: s.cert.fingerprint,
        cert_issuer_id: s.cert.issuerId,
        cert_serial: s.cert.serial,
        stage: s.stage,
        mfa_method: s.mfa?.method ?? null,
        mfa_at: s.mfa?.at ?? null,
        csrf: s.csrf,
        pending: s.pending === null ? null : JSON.stringify(s.pending),
        created_at: s.createdAt,
        last_seen_at: s.lastSeenAt,
        expires_at: s.expiresAt,
      });
    }),

  get: (q: Q, id: string) =>
    guardStore(async () => {
      const r = (await q('broker_sessions').where({ id }).first()) as Row | undefined;
      return r ? toSession(r) : null;
    }),

  /** The session a token opens, with the host the token was minted for. */
  byToken: (q: Q, tokenHash: string) =>
    guardStore(async () => {
      const r = (await q('broker_session_tokens as t')
        .join('broker_sessions as s', 's.id', 't.session_id')
        .where('t.token_hash', tokenHash)
        .select('s.*', 't.host as token_host')
        .first()) as Row | undefined;
      return r ? { session: toSession(r), host: r.token_host as string } : null;
    }),

  update: (q: Q, id: string, p: SessionPatch) =>
    guardStore(async () => {
      const row: Row = {};
      if (p.stage !== undefined) row.stage = p.stage;
      if (p.mfa !== undefined) {
        row.mfa_method = p.mfa?.method ?? null;
        row.mfa_at = p.mfa?.at ?? null;
      }
      if (p.pending !== undefined) row.pending = p.pending === null ? null : JSON.stringify(p.pending);
      if (p.lastSeenAt !== undefined) row.last_seen_at = p.lastSeenAt;
      if (Object.keys(row).length === 0) return 0;
      return q('broker_sessions').where({ id }).update(row);
    }),

  /** Deletes the session with its tokens and hand-offs; true when it existed. */
  delete: (trx: Tx, id: string) =>
    guardStore(async () => {
      await trx('broker_session_tokens').where({ session_id: id }).delete();
      await trx('broker_handoffs').where({ session_id: id }).delete();
      return (await trx('broker_sessions').where({ id }).delete()) > 0;
    }),

  insertToken: (q: Q, tokenHash: string, sessionId: string, host: string, now: number) =>
    guardStore(async () => {
      await q('broker_session_tokens').insert({ token_hash: tokenHash, session_id: sessionId, host, created_at: now });
    }),

  deleteTokens: (q: Q, sessionId: string) =>
    guardStore(async () => q('broker_session_tokens').where({ session_id: sessionId }).delete()),

  list: (q: Q, filter: { userSub?: string; limit?: number } = {}) =>
    guardStore(async () => {
      const qb = q('broker_sessions').orderBy('created_at', 'desc').limit(filter.limit ?? 200);
      if (filter.userSub !== undefined) qb.where({ user_sub: filter.userSub });
      return ((await qb) as Row[]).map(toSession);
    }),

  /** Removes expired sessions (with their tokens), login states and hand-offs. */
  purgeExpired: (trx: Tx, now: number) =>
    guardStore(async () => {
      const dead = trx('broker_sessions').where('expires_at', '<=', now).select('id');
      await trx('broker_session_tokens').whereIn('session_id', dead).delete();
      await trx('broker_handoffs').where('expires_at', '<=', now).delete();
      await trx('broker_login_states').where('expires_at', '<=', now).delete();
      return trx('broker_sessions').where('expires_at', '<=', now).delete();
    }),

  insertLogin: (q: Q, idHash: string, s: LoginState) =>
    guardStore(async () => {
      await q('broker_login_states').insert({
        id_hash: idHash,
        state: s.state,
        nonce: s.nonce,
        code_verifier: s.codeVerifier,
        return_to: s.returnTo,
        cert_fp: s.certFingerprint,
        purpose: s.purpose,
        expires_at: s.expiresAt,
      });
    }),

  takeLogin: (q: Q, idHash: string) =>
    guardStore(async () => {
      const r = (await q('broker_login_states').where({ id_hash: idHash }).first()) as Row | undefined;
      if (!r || (await q('broker_login_states').where({ id_hash: idHash }).delete()) !== 1) return null;
      return {
        state: r.state as string,
        nonce: r.nonce as string,
        codeVerifier: r.code_verifier as string,
        returnTo: r.return_to as string,
        certFingerprint: r.cert_fp as string,
        purpose: r.purpose === 'stepup' ? 'stepup' : 'login',
        expiresAt: num(r.expires_at),
      } satisfies LoginState;
    }),

  insertHandoff: (q: Q, codeHash: string, h: Handoff) =>
    guardStore(async () => {
      await q('broker_handoffs').insert({
        code_hash: codeHash,
        session_id: h.sessionId,
        host: h.host,
        return_path: h.returnPath,
        cert_fp: h.certFingerprint,
        expires_at: h.expiresAt,
      });
    }),

  takeHandoff: (q: Q, codeHash: string) =>
    guardStore(async () => {
      const r = (await q('broker_handoffs').where({ code_hash: codeHash }).first()) as Row | undefined;
      if (!r || (await q('broker_handoffs').where({ code_hash: codeHash }).delete()) !== 1) return null;
      return {
        sessionId: r.session_id as string,
        host: r.host as string,
        returnPath: r.return_path as string,
        certFingerprint: r.cert_fp as string,
        expiresAt: num(r.expires_at),
      } satisfies Handoff;
    }),
};
