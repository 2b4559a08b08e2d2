/**
 * Hand-off of a broker session to a console host.
 *
 * `__Host-` cookies cannot be shared between hosts, so the broker host mints a one-time code for
 * the target host and the console host exchanges it for its own session token.
 *
 * Rules enforced:
 * - The target must be a validated return-to on a route host (web/redirects.ts); anything else
 *   goes home, never elsewhere.
 * - Codes are random, stored hashed, single use, valid for 60 s, and bound to the target host and
 *   to the client certificate that asked: a code replayed, used on another host or with another
 *   certificate is refused.
 * - The console-host token is minted for that host only (sessions/service.ts) and the browser is
 *   sent to the stored, normalized path — not to anything in the request.
 */
import { nextUrl, redirectScope, routeOrigin } from '../context.ts';
import { hashToken, newToken, serializeCookie, SESSION_COOKIE } from '../web/cookies.ts';
import { parseReturnTo } from '../web/redirects.ts';
import { requireSession, sendDenied, type RequestCtx } from './common.ts';

const HANDOFF_TTL_MS = 60_000;

/** Broker host: GET /handoff?rd=<absolute console URL>. */
export async function startHandoff(c: RequestCtx): Promise<void> {
  const s = await requireSession(c);
  if (s === null) return;
  const r = parseReturnTo(c.url.searchParams.get('rd'), redirectScope(c.b));
  if (r === null || r.host === c.b.brokerHost) return c.b.pages.redirect(c.req, c.res, nextUrl(c.b, r === null ? '/' : r.target));
  const code = newToken();
  await c.b.sessions.storeHandoff(hashToken(code), {
    sessionId: s.id,
    host: r.host,
    returnPath: r.target,
    certFingerprint: c.peer.fingerprint,
    expiresAt: c.b.now() + HANDOFF_TTL_MS,
  });
  c.b.pages.redirect(c.req, c.res, `${routeOrigin(c.b, r.host)}/.gatehouse/handoff?code=${code}`);
}

/** Console host: GET /.gatehouse/handoff?code=... */
export async function finishHandoff(c: RequestCtx, host: string): Promise<void> {
  const code = c.url.searchParams.get('code');
  const retry = { href: `${c.b.brokerOrigin}/`, label: 'Start again' };
  if (code === null || !/^[A-Za-z0-9_-]{43}$/.test(code)) return sendDenied(c, 400, ['handoff-invalid'], { links: [retry] });
  const h = await c.b.sessions.takeHandoff(hashToken(code));
  if (h === null || h.expiresAt <= c.b.now() || h.host !== host) return sendDenied(c, 400, ['handoff-invalid'], { links: [retry] });
  if (h.certFingerprint !== c.peer.fingerprint) return sendDenied(c, 403, ['handoff-certificate-mismatch'], { links: [retry] });
  const s = await c.b.sessions.get(h.sessionId);
  if (s === null || s.stage !== 'active' || s.cert.fingerprint !== c.peer.fingerprint) return sendDenied(c, 401, ['session-invalid'], { links: [retry] });
  const token = await c.b.sessions.mintToken(s.id, host);
  c.b.pages.redirect(c.req, c.res, h.returnPath, 303, [serializeCookie(SESSION_COOKIE, token, { maxAge: Math.max(1, Math.floor((s.expiresAt - c.b.now()) / 1000)) })]);
}

/** Console host: GET /.gatehouse/logout -> the broker's sign-out form. */
export async function routeLogout(c: RequestCtx): Promise<void> {
  c.b.pages.redirect(c.req, c.res, `${c.b.brokerOrigin}/logout`);
}
