/**
 * Sign-in, callback, step-up via the IdP, and sign-out on the broker host.
 *
 * Rules enforced:
 * - /login stores state, nonce, PKCE verifier, the validated return-to and the certificate
 *   fingerprint server-side under a random login id; the browser holds only that id in a
 *   `__Host-` SameSite=Lax pre-auth cookie. An invalid return-to becomes '/', never a redirect.
 * - /callback (CSRF defence, RFC 6749 §10.12): without our pre-auth cookie, or with a state that
 *   is not the one stored for it, the login fails; the stored login is single use and expires;
 *   the certificate must be the one that started the login.
 * - The signed-in user must own the certificate (authn/identity.ts); a refusal is audited.
 * - Login always starts a NEW session (any previous one on this browser is ended); an IdP
 *   step-up regenerates the existing session's tokens.
 * - /logout is a POST with the CSRF token; a GET only shows the form. The return-to after
 *   logout is validated like any other.
 */
import { clearCookie, hashToken, LOGIN_COOKIE, newToken, readCookie, serializeCookie, SESSION_COOKIE } from '../web/cookies.ts';
import { parseReturnTo, urlOf } from '../web/redirects.ts';
import { readForm } from '../web/request.ts';
import { certificateBelongsTo, idpMfa } from '../authn/identity.ts';
import { nextUrl, redirectScope } from '../context.ts';
import { h, layout } from '../pages/html.ts';
import { signedOutPage } from '../pages/views.ts';
import { brokerSession, checkCsrf, sendDenied, type RequestCtx } from './common.ts';

function validatedReturnTo(c: RequestCtx, raw: string | null): string {
  const r = parseReturnTo(raw, redirectScope(c.b));
  return r === null ? `${c.b.brokerOrigin}/` : urlOf(r, c.b.publicPort);
}

async function beginOidc(c: RequestCtx, returnTo: string, purpose: 'login' | 'stepup'): Promise<void> {
  const start = await c.b.oidc.begin(purpose === 'stepup');
  const loginId = newToken();
  const ttl = c.b.cfg.oidc!.loginTimeoutSeconds;
  await c.b.sessions.storeLogin(hashToken(loginId), {
    state: start.state,
    nonce: start.nonce,
    codeVerifier: start.codeVerifier,
    returnTo,
    certFingerprint: c.peer.fingerprint,
    purpose,
    expiresAt: c.b.now() + ttl * 1000,
  });
  c.b.pages.redirect(c.req, c.res, start.url, 303, [serializeCookie(LOGIN_COOKIE, loginId, { maxAge: ttl })]);
}

export async function login(c: RequestCtx): Promise<void> {
  const returnTo = validatedReturnTo(c, c.url.searchParams.get('rd'));
  const existing = await brokerSession(c);
  if (existing !== null) return c.b.pages.redirect(c.req, c.res, nextUrl(c.b, returnTo));
  await beginOidc(c, returnTo, 'login');
}

/** Step-up: a broker factor when the user has one, else IdP re-authentication. */
export async function stepUp(c: RequestCtx): Promise<void> {
  const returnTo = validatedReturnTo(c, c.url.searchParams.get('rd'));
  const s = await brokerSession(c);
  if (s === null) return c.b.pages.redirect(c.req, c.res, `/login?rd=${encodeURIComponent(returnTo)}`);
  const useIdp = c.b.cfg.mfa.methods.length === 0 || s.mfa?.method === 'idp';
  if (useIdp) return beginOidc(c, returnTo, 'stepup');
  await c.b.sessions.update(s.id, { pending: { returnTo } });
  c.b.pages.redirect(c.req, c.res, '/mfa?stepup=1');
}

export async function callback(c: RequestCtx): Promise<void> {
  const b = c.b;
  const loginId = readCookie(c.req.headers.cookie, LOGIN_COOKIE);
  const clear = clearCookie(LOGIN_COOKIE);
  c.res.setHeader('set-cookie', [clear]);
  if (loginId === null) return sendDenied(c, 400, ['login-state-missing'], { links: [{ href: '/login', label: 'Sign in again' }] });
  const st = await b.sessions.takeLogin(hashToken(loginId));
  if (st === null || st.expiresAt <= b.now()) return sendDenied(c, 400, ['login-state-invalid'], { links: [{ href: '/login', label: 'Sign in again' }] });
  if (c.url.searchParams.get('state') !== st.state) return sendDenied(c, 400, ['login-state-mismatch'], { links: [{ href: '/login', label: 'Sign in again' }] });
  if (st.certFingerprint !== c.peer.fingerprint) return sendDenied(c, 403, ['certificate-changed-during-login']);
  const startedAt = Math.floor((st.expiresAt - b.cfg.oidc!.loginTimeoutSeconds * 1000) / 1000);
  const claims = await b.oidc.finish(new URL(`${b.brokerOrigin}${c.req.url ?? '/'}`), {
    state: st.state,
    nonce: st.nonce,
    codeVerifier: st.codeVerifier,
    ...(st.purpose === 'stepup' ? { authSince: startedAt } : {}),
  });
  const binding = await certificateBelongsTo(b.db, c.peer, claims, b.cfg.oidc!.requireEmailVerified);
  if (!binding.ok) {
    await b.audit.record({ actor: `user:${claims.email || claims.sub}`, action: 'broker.login.denied', target: `cert:${c.peer.serial}`, data: { reason: binding.reason, sub: claims.sub } });
    return sendDenied(c, 403, [binding.reason]);
  }
  const mfa = idpMfa(claims, b.cfg.mfa.trustIdp, b.now());
  if (st.purpose === 'stepup') {
    const s = await brokerSession(c);
    if (s === null || s.user.sub !== claims.sub) return sendDenied(c, 401, ['session-invalid'], { links: [{ href: '/login', label: 'Sign in again' }] });
    if (mfa === null) return sendDenied(c, 403, ['idp-mfa-not-trusted']);
    const token = await b.sessions.regenerate(s, { mfa, stage: 'active', pending: null }, 'broker.session.stepup');
    b.assertions.forgetSession(s.id);
    return b.pages.redirect(c.req, c.res, nextUrl(b, st.returnTo), 303, [clear, serializeCookie(SESSION_COOKIE, token)]);
  }
  const old = await brokerSession(c, true);
  if (old !== null) await b.sessions.end(old.id, `user:${old.user.email}`, 'replaced-by-login');
  const { token } = await b.sessions.start({
    user: { sub: claims.sub, email: claims.email, groups: claims.groups },
    idpAmr: claims.amr,
    cert: { fingerprint: c.peer.fingerprint, issuerId: c.peer.issuerId, serial: c.peer.serial },
    mfa,
    pending: mfa === null ? { returnTo: st.returnTo } : null,
  });
  const cookie = serializeCookie(SESSION_COOKIE, token);
  b.pages.redirect(c.req, c.res, mfa === null ? '/mfa' : nextUrl(b, st.returnTo), 303, [clear, cookie]);
}

export async function logoutForm(c: RequestCtx): Promise<void> {
  const s = await brokerSession(c, true);
  if (s === null) return c.b.pages.send(c.req, c.res, 200, signedOutPage());
  const rd = parseReturnTo(c.url.searchParams.get('rd'), redirectScope(c.b));
  const body = h`<form method="post" action="/logout"><input type="hidden" name="csrf" value="${s.csrf}">${rd ? h`<input type="hidden" name="rd" value="${urlOf(rd, c.b.publicPort)}">` : h``}<button type="submit" id="logout">Sign out</button></form>`;
  c.b.pages.send(c.req, c.res, 200, layout('Sign out', body));
}

export async function logout(c: RequestCtx): Promise<void> {
  const form = await readForm(c.req);
  const s = await brokerSession(c, true);
  const cookies = [clearCookie(SESSION_COOKIE)];
  if (s !== null) {
    checkCsrf(c, s, form.get('csrf'));
    await c.b.sessions.end(s.id, `user:${s.user.email}`, 'logout');
    c.b.assertions.forgetSession(s.id);
  }
  const rd = parseReturnTo(form.get('rd'), redirectScope(c.b));
  if (rd !== null && rd.host === c.b.brokerHost) return c.b.pages.redirect(c.req, c.res, rd.target, 303, cookies);
  c.res.setHeader('set-cookie', cookies);
  c.b.pages.send(c.req, c.res, 200, signedOutPage());
}
