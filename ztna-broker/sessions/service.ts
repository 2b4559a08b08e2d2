/**
 * Server-side sessions: start, resolve per request, rotate, complete MFA, end/kill.
 *
 * Rules enforced:
 * - A session lives in the database; the browser holds only a per-host token (its hash is the
 *   key). A token opens the session only on the host it was minted for, and only together with
 *   the client certificate the session is bound to.
 * - Idle and absolute lifetimes are enforced on every request; an expired session is ended
 *   (deleted, audited), never extended.
 * - Tokens are regenerated when privileges change: all tokens of the session are deleted and
 *   one new broker-host token is issued at MFA completion and at step-up (login always starts
 *   a brand-new session).
 * - Ending a session (logout, kill, expiry) deletes it with its tokens, writes the audit entry in
 *   the same transaction and announces `broker.session.killed` (NOTIFY to other nodes at commit,
 *   local emit after) so live sockets close and caches drop it.
 * - Rows are cached for `cacheMs`; last_seen is written at most every `touchIntervalSeconds`.
 */
import type { AuditLog } from '../../platform/audit/index.ts';
import { withTx, type Db } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { Logger } from '../../platform/log.ts';
import { sessionStore, type SessionPatch } from './store.ts';
import { hashToken, newId, newToken } from '../web/cookies.ts';
import type { Handoff, LoginState, SessionCert, SessionMfa, SessionPending, SessionRecord, SessionUser } from './types.ts';

export interface SessionLimits {
  idleSeconds: number;
  absoluteSeconds: number;
  cacheMs: number;
  touchIntervalSeconds: number;
}

export interface SessionServiceDeps {
  db: Db;
  audit: AuditLog;
  bus: EventBus;
  log: Logger;
  now: () => number;
  limits: SessionLimits;
  brokerHost: string;
}

export type ResolveResult =
  | { ok: true; session: SessionRecord; idleMs: number }
  | { ok: false; reason: 'session-missing' | 'session-invalid' | 'session-expired' | 'session-idle' | 'session-certificate-mismatch' };

interface CacheEntry {
  session: SessionRecord;
  host: string;
  loadedAt: number;
}

export class SessionService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly hashesBySession = new Map<string, Set<string>>();
  private readonly seen = new Map<string, { at: number; written: number }>();

  constructor(private readonly d: SessionServiceDeps) {}

  /** A new session plus its broker-host token (login). */
  async start(input: { user: SessionUser; idpAmr: readonly string[]; cert: SessionCert; mfa: SessionMfa | null; pending?: SessionPending | null }) {
    const now = this.d.now();
    const session: SessionRecord = {
      id: newId(),
      user: input.user,
      idpAmr: input.idpAmr,
      cert: input.cert,
      stage: input.mfa ? 'active' : 'mfa',
      mfa: input.mfa,
      csrf: newToken(),
      pending: input.pending ?? null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.d.limits.absoluteSeconds * 1000,
    };
    const token = newToken();
    await withTx(this.d.db, async (trx) => {
      await sessionStore.insert(trx, session);
      await sessionStore.insertToken(trx, hashToken(token), session.id, this.d.brokerHost, now);
      await this.d.audit.append(trx, {
        actor: `user:${input.user.email}`,
        action: 'broker.session.start',
        target: `session:${session.id}`,
        data: { sub: input.user.sub, groups: input.user.groups, stage: session.stage, mfa: input.mfa, certSerial: input.cert.serial, certFingerprint: input.cert.fingerprint },
      });
    });
    return { session, token };
  }

  /** The session a token opens on `host` with the certificate `certFingerprint`. */
  /** `tokenHash`: hashToken(token) when the caller already has it (gate.ts memoises it per connection). */
  async resolve(token: string | null, host: string, certFingerprint: string, tokenHash?: string): Promise<ResolveResult> {
    if (token === null) return { ok: false, reason: 'session-missing' };
    const now = this.d.now();
    const h = tokenHash ?? hashToken(token);
    let entry = this.cache.get(h);
    if (entry === undefined || now - entry.loadedAt > this.d.limits.cacheMs) {
      const found = await sessionStore.byToken(this.d.db, h);
      if (found === null) {
        this.cache.delete(h);
        return { ok: false, reason: 'session-invalid' };
      }
      entry = { session: found.session, host: found.host, loadedAt: now };
      this.remember(h, entry);
    }
    const s = entry.session;
    if (entry.host !== host) return { ok: false, reason: 'session-invalid' };
    if (s.cert.fingerprint !== certFingerprint) return { ok: false, reason: 'session-certificate-mismatch' };
    const seen = this.seen.get(s.id) ?? { at: s.lastSeenAt, written: s.lastSeenAt };
    const lastSeen = Math.max(seen.at, s.lastSeenAt);
    if (now >= s.expiresAt) {
      await this.end(s.id, 'system', 'expired');
      return { ok: false, reason: 'session-expired' };
    }
    if (now - lastSeen > this.d.limits.idleSeconds * 1000) {
      await this.end(s.id, 'system', 'idle');
      return { ok: false, reason: 'session-idle' };
    }
    seen.at = now;
    s.lastSeenAt = now;
    if (now - seen.written >= this.d.limits.touchIntervalSeconds * 1000) {
      seen.written = now;
      sessionStore.update(this.d.db, s.id, { lastSeenAt: now }).catch((e) => this.d.log.warn({ err: e }, 'session touch failed'));
    }
    this.seen.set(s.id, seen);
    return { ok: true, session: s, idleMs: now - lastSeen };
  }

  /** A token for another host of the same session (hand-off). */
  async mintToken(sessionId: string, host: string): Promise<string> {
    const token = newToken();
    await sessionStore.insertToken(this.d.db, hashToken(token), sessionId, host, this.d.now());
    return token;
  }

  /** Applies a change and regenerates: every old token dies, one new broker-host token is returned. */
  async regenerate(session: SessionRecord, patch: SessionPatch, action: string): Promise<string> {
    const token = newToken();
    await withTx(this.d.db, async (trx) => {
      await sessionStore.update(trx, session.id, patch);
      await sessionStore.deleteTokens(trx, session.id);
      await sessionStore.insertToken(trx, hashToken(token), session.id, this.d.brokerHost, this.d.now());
      await this.d.audit.append(trx, { actor: `user:${session.user.email}`, action, target: `session:${session.id}`, data: { stage: patch.stage ?? session.stage, mfa: patch.mfa ?? session.mfa } });
    });
    this.invalidate(session.id);
    return token;
  }

  async update(sessionId: string, patch: SessionPatch): Promise<void> {
    await sessionStore.update(this.d.db, sessionId, patch);
    this.invalidate(sessionId);
  }

  /** Ends a session (logout, kill, expiry); true when it existed. */
  async end(sessionId: string, actor: string, reason: string): Promise<boolean> {
    const existed = await withTx(this.d.db, async (trx) => {
      const gone = await sessionStore.delete(trx, sessionId);
      if (!gone) return false;
      await this.d.audit.append(trx, { actor, action: 'broker.session.end', target: `session:${sessionId}`, data: { reason } });
      await this.d.bus.notifyTx(trx, 'broker.session.killed', { sessionId });
      return true;
    });
    this.invalidate(sessionId);
    if (existed) this.d.bus.emitLocal('broker.session.killed', { sessionId });
    return existed;
  }

  storeLogin(idHash: string, state: LoginState): Promise<void> {
    return sessionStore.insertLogin(this.d.db, idHash, state);
  }

  /** The login state for this id, once (deleted on read). */
  takeLogin(idHash: string): Promise<LoginState | null> {
    return sessionStore.takeLogin(this.d.db, idHash);
  }

  storeHandoff(codeHash: string, h: Handoff): Promise<void> {
    return sessionStore.insertHandoff(this.d.db, codeHash, h);
  }

  /** The hand-off for this code, once (deleted on read). */
  takeHandoff(codeHash: string): Promise<Handoff | null> {
    return sessionStore.takeHandoff(this.d.db, codeHash);
  }

  get(id: string): Promise<SessionRecord | null> {
    return sessionStore.get(this.d.db, id);
  }

  list(filter: { userSub?: string; limit?: number } = {}): Promise<SessionRecord[]> {
    return sessionStore.list(this.d.db, filter);
  }

  async purgeExpired(): Promise<number> {
    return withTx(this.d.db, (trx) => sessionStore.purgeExpired(trx, this.d.now()));
  }

  /** Drops every cached token of the session (kill events, updates). */
  invalidate(sessionId: string): void {
    for (const h of this.hashesBySession.get(sessionId) ?? []) this.cache.delete(h);
    this.hashesBySession.delete(sessionId);
    this.seen.delete(sessionId);
  }

  clearCache(): void {
    this.cache.clear();
    this.hashesBySession.clear();
  }

  private remember(h: string, entry: CacheEntry): void {
    if (this.cache.size > 50_000) this.clearCache();
    this.cache.set(h, entry);
    const set = this.hashesBySession.get(entry.session.id) ?? new Set<string>();
    set.add(h);
    this.hashesBySession.set(entry.session.id, set);
  }
}
