/**
 * Shared plumbing of the broker-host handlers: request context, session lookup, CSRF, and the
 * one place errors become pages or JSON.
 *
 * Rules enforced:
 * - Every broker-host handler runs only after the client certificate passed (peer is set).
 * - The broker-host session must be bound to the presented certificate; 'active' is required
 *   unless a handler explicitly accepts the MFA stage.
 * - State-changing requests carry the session's CSRF token (form field `csrf` or header
 *   `x-gatehouse-csrf`, compared in constant time) AND pass the same-origin check.
 * - Errors map through errors.ts once; the page shows the reason code and safe message only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, toAppError } from '../../platform/errors.ts';
import type { BrokerContext } from '../context.ts';
import { httpFailureOf } from '../errors.ts';
import { deniedPage, type Link } from '../pages/views.ts';
import type { SessionRecord } from '../sessions/types.ts';
import type { PeerCert } from '../tls/peer.ts';
import { readCookie, safeEqual, SESSION_COOKIE } from '../web/cookies.ts';
import { assertSameOrigin } from '../web/request.ts';

export interface RequestCtx {
  readonly b: BrokerContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly peer: PeerCert;
}

export type Handler = (c: RequestCtx) => Promise<void>;

/** The broker-host session of this request, or null. */
export async function brokerSession(c: RequestCtx, allowMfaStage = false): Promise<SessionRecord | null> {
  const token = readCookie(c.req.headers.cookie, SESSION_COOKIE);
  const r = await c.b.sessions.resolve(token, c.b.brokerHost, c.peer.fingerprint);
  if (!r.ok) return null;
  if (r.session.stage !== 'active' && !allowMfaStage) return null;
  return r.session;
}

/** Like brokerSession, but sends the browser to sign in (returning here) when there is none. */
export async function requireSession(c: RequestCtx, allowMfaStage = false): Promise<SessionRecord | null> {
  const s = await brokerSession(c, allowMfaStage);
  if (s !== null) return s;
  const any = allowMfaStage ? null : await brokerSession(c, true);
  if (any !== null) {
    c.b.pages.redirect(c.req, c.res, '/mfa');
    return null;
  }
  const back = c.req.method === 'GET' ? `${c.b.brokerOrigin}${c.url.pathname}${c.url.search}` : c.b.brokerOrigin + '/';
  c.b.pages.redirect(c.req, c.res, `/login?rd=${encodeURIComponent(back)}`);
  return null;
}

export function checkCsrf(c: RequestCtx, session: SessionRecord, token: string | null | undefined): void {
  assertSameOrigin(c.req, c.b.brokerOrigin);
  if (typeof token !== 'string' || !safeEqual(token, session.csrf)) throw new AppError('ERR_CSRF', 'missing or wrong CSRF token');
}

export function sendDenied(c: Pick<RequestCtx, 'b' | 'req' | 'res'>, status: number, reasons: readonly string[], opts: { title?: string; ruleId?: string | null; links?: readonly Link[] } = {}): void {
  const title = opts.title ?? (status === 503 ? 'Temporarily unavailable' : status === 401 ? 'Sign-in required' : 'Access denied');
  const html = deniedPage({ title, reasons, ruleId: opts.ruleId ?? null, links: opts.links ?? [] });
  c.b.pages.send(c.req, c.res, status, html, status === 503 ? { 'retry-after': '5' } : {});
}

/** Maps any thrown error to a page (or JSON for fetch endpoints) and logs the cause. */
export function sendError(c: Pick<RequestCtx, 'b' | 'req' | 'res'>, e: unknown, json = false): void {
  const err = toAppError(e);
  const f = httpFailureOf(err);
  if (f.status >= 500) c.b.log.error({ err: err.cause ?? err, code: err.code }, 'broker request failed');
  else c.b.log.info({ code: err.code, reason: f.reason }, 'broker request refused');
  if (json) return c.b.pages.sendJson(c.req, c.res, f.status, { error: `${f.reason}: ${err.message}` });
  sendDenied(c, f.status, [f.reason], { title: f.status >= 500 ? 'Temporarily unavailable' : 'Request refused', links: [{ href: '/', label: 'Home' }] });
}
