/**
 * Second-factor pages and endpoints on the broker host: TOTP and WebAuthn, first login and
 * step-up.
 *
 * Rules enforced:
 * - Only a session bound to the presented certificate reaches these handlers; every POST carries
 *   the CSRF token and passes the same-origin check.
 * - Self-enrolment (when enabled) is only for a user with no confirmed factor yet (trust on first
 *   use after certificate + SSO); adding more security keys needs an MFA younger than the
 *   step-up max age.
 * - Five wrong codes or assertions end the session (the user signs in again); across sessions
 *   the user's factors lock after broker.mfa.lockout.maxFailures (authn/throttle.ts): while
 *   locked nothing is verified and the answer is 429.
 * - Success regenerates the session (new token, old ones dead) and records the method and time;
 *   the browser then goes to the stored return-to.
 * - WebAuthn challenges live in the session, are single use and expire after two minutes.
 */
import { AppError, isAppError } from '../../platform/errors.ts';
import { nextUrl } from '../context.ts';
import { manageKeysPage, mfaPage, totpEnrolPage } from '../pages/views.ts';
import type { SessionRecord } from '../sessions/types.ts';
import { serializeCookie, SESSION_COOKIE } from '../web/cookies.ts';
import { readForm, readJson } from '../web/request.ts';
import { checkCsrf, requireSession, sendDenied, sendError, type RequestCtx } from './common.ts';

const MAX_FAILURES = 5;
const CHALLENGE_MS = 120_000;

async function factorState(c: RequestCtx, s: SessionRecord) {
  const totp = c.b.totp ? await c.b.totp.status(s.user.sub) : 'none';
  const keys = c.b.webauthn ? await c.b.webauthn.count(s.user) : 0;
  const hasFactor = totp === 'confirmed' || keys > 0;
  const freshMfa = s.mfa !== null && c.b.now() / 1000 - s.mfa.at <= c.b.cfg.stepUpMaxAgeSeconds;
  return { totp, keys, canEnrol: c.b.cfg.mfa.selfEnrol && (!hasFactor || freshMfa) } as const;
}

async function renderMfa(c: RequestCtx, s: SessionRecord, status = 200, error?: string): Promise<void> {
  const f = await factorState(c, s);
  const html = mfaPage({ csrf: s.csrf, email: s.user.email, totp: f.totp, webauthn: f.keys > 0, methods: c.b.cfg.mfa.methods, canEnrol: f.canEnrol && s.stage === 'mfa', stepUp: s.stage === 'active', ...(error ? { error } : {}) });
  c.b.pages.send(c.req, c.res, status, html);
}

async function complete(c: RequestCtx, s: SessionRecord, method: 'totp' | 'webauthn'): Promise<{ next: string; cookie: string }> {
  const at = Math.floor(c.b.now() / 1000);
  const token = await c.b.sessions.regenerate(s, { stage: 'active', mfa: { method, at }, pending: null }, s.stage === 'mfa' ? 'broker.session.mfa' : 'broker.session.stepup');
  c.b.assertions.forgetSession(s.id);
  return { next: nextUrl(c.b, s.pending?.returnTo), cookie: serializeCookie(SESSION_COOKIE, token) };
}

/** Counts a failure for the user (all sessions); at the user limit ends this session too. */
async function lockedOut(c: RequestCtx, s: SessionRecord): Promise<boolean> {
  if (!(await c.b.mfaThrottle.failure(s.user))) return false;
  await c.b.sessions.end(s.id, `user:${s.user.email}`, 'mfa-locked');
  return true;
}

/** Counts a failure; ends the session at the limit. Returns true when the session was ended. */
async function failed(c: RequestCtx, s: SessionRecord): Promise<boolean> {
  const failures = (s.pending?.failures ?? 0) + 1;
  if (failures >= MAX_FAILURES) {
    await c.b.sessions.end(s.id, `user:${s.user.email}`, 'mfa-failures');
    return true;
  }
  await c.b.sessions.update(s.id, { pending: { ...(s.pending ?? {}), failures, challenge: undefined } });
  return false;
}

export async function mfaForm(c: RequestCtx): Promise<void> {
  const s = await requireSession(c, true);
  if (s !== null) await renderMfa(c, s);
}

export async function totpVerify(c: RequestCtx): Promise<void> {
  const s = await requireSession(c, true);
  if (s === null) return;
  const form = await readForm(c.req);
  checkCsrf(c, s, form.get('csrf'));
  if (c.b.totp === null) throw new AppError('ERR_FORBIDDEN', 'TOTP is not enabled');
  try {
    await c.b.mfaThrottle.assertOpen(s.user.sub);
  } catch (e) {
    if (isAppError(e, 'ERR_MFA_LOCKED')) return renderMfa(c, s, 429, `mfa-locked: ${e.message}`);
    throw e;
  }
  try {
    await c.b.totp.verify(s.user, form.get('code'));
  } catch (e) {
    if (!isAppError(e, 'ERR_MFA_INVALID') && !isAppError(e, 'ERR_TOTP_REPLAY')) throw e;
    if (await lockedOut(c, s)) return sendDenied(c, 429, ['mfa-locked'], { links: [{ href: '/login', label: 'Sign in again later' }] });
    if (await failed(c, s)) return sendDenied(c, 401, ['mfa-too-many-failures'], { links: [{ href: '/login', label: 'Sign in again' }] });
    return renderMfa(c, s, 401, `${e.code === 'ERR_TOTP_REPLAY' ? 'totp-code-reused' : 'mfa-invalid'}: ${e.message}`);
  }
  await c.b.mfaThrottle.success(s.user.sub);
  const done = await complete(c, s, 'totp');
  c.b.pages.redirect(c.req, c.res, done.next, 303, [done.cookie]);
}

export async function totpEnrol(c: RequestCtx): Promise<void> {
  const s = await requireSession(c, true);
  if (s === null) return;
  const f = await factorState(c, s);
  if (c.b.totp === null || !f.canEnrol || f.totp === 'confirmed') throw new AppError('ERR_FORBIDDEN', 'enrolment not available');
  const e = (await c.b.totp.pendingEnrolment(s.user)) ?? (await c.b.totp.beginEnrolment(s.user));
  c.b.pages.send(c.req, c.res, 200, totpEnrolPage({ csrf: s.csrf, secret: e.secretBase32, uri: e.uri }));
}

export async function manageKeys(c: RequestCtx): Promise<void> {
  const s = await requireSession(c);
  if (s === null) return;
  const f = await factorState(c, s);
  c.b.pages.send(c.req, c.res, 200, manageKeysPage({ csrf: s.csrf, totp: f.totp, keys: f.keys }));
}

/** POST /mfa/webauthn/{register,authenticate}-options and /mfa/webauthn/{register,authenticate} (JSON). */
export function webauthnEndpoint(kind: 'register' | 'authenticate', step: 'options' | 'verify') {
  return async (c: RequestCtx): Promise<void> => {
    const s = await requireSession(c, true);
    if (s === null) return;
    try {
      checkCsrf(c, s, c.req.headers['x-gatehouse-csrf'] as string | undefined);
      const w = c.b.webauthn;
      if (w === null) throw new AppError('ERR_FORBIDDEN', 'WebAuthn is not enabled');
      if (kind === 'register' && !(await factorState(c, s)).canEnrol) throw new AppError('ERR_FORBIDDEN', 'registration needs a fresh second factor');
      if (step === 'options') {
        const opts = kind === 'register' ? await w.registrationOptions(s.user) : await w.authenticationOptions(s.user);
        await c.b.sessions.update(s.id, { pending: { ...(s.pending ?? {}), challenge: opts.challenge, challengeKind: kind, challengeExpires: c.b.now() + CHALLENGE_MS } });
        return c.b.pages.sendJson(c.req, c.res, 200, opts);
      }
      const body = await readJson(c.req);
      const p = s.pending ?? {};
      const challenge = p.challenge !== undefined && p.challengeKind === kind && (p.challengeExpires ?? 0) > c.b.now() ? p.challenge : null;
      await c.b.sessions.update(s.id, { pending: { ...p, challenge: undefined, challengeKind: undefined, challengeExpires: undefined } });
      if (challenge === null) throw new AppError('ERR_WEBAUTHN', 'no pending challenge; start again');
      if (kind === 'authenticate') await c.b.mfaThrottle.assertOpen(s.user.sub);
      try {
        if (kind === 'register') await w.verifyRegistration(s.user, body, challenge);
        else await w.verifyAuthentication(s.user, body, challenge);
      } catch (e) {
        if (!isAppError(e, 'ERR_WEBAUTHN')) throw e;
        if (kind === 'authenticate' && (await lockedOut(c, s))) throw new AppError('ERR_MFA_LOCKED', 'too many wrong second-factor attempts; sign in again later');
        if (await failed(c, { ...s, pending: p })) throw new AppError('ERR_SESSION_INVALID', 'too many failures; sign in again');
        throw e;
      }
      if (kind === 'authenticate') await c.b.mfaThrottle.success(s.user.sub);
      if (kind === 'register' && s.stage === 'active') return c.b.pages.sendJson(c.req, c.res, 200, { next: '/mfa/manage' });
      const done = await complete(c, s, 'webauthn');
      c.res.setHeader('set-cookie', [done.cookie]);
      c.b.pages.sendJson(c.req, c.res, 200, { next: done.next });
    } catch (e) {
      sendError(c, e, true);
    }
  };
}
