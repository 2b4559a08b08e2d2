/**
 * Dispatch for the broker's own host (login, MFA, JIT, admin, JWKS, static assets).
 *
 * Rules enforced:
 * - Exact method + path matches only; anything else is a 404 page (HEAD is served as GET).
 * - Only the JWKS and the static assets are reachable without a client certificate; every
 *   other page first passes the same certificate check as the proxy (tls/peer.ts), so a
 *   missing, foreign, expired or revoked certificate gets its denial page here too.
 * - Errors map once (common.ts sendError); WebAuthn endpoints answer JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { BrokerContext } from '../context.ts';
import { STYLE_CSS, WEBAUTHN_JS } from '../pages/static.ts';
import { accessForm, accessRequest, approvals, decide, home, killSession, sessionsAdmin } from './access.ts';
import { sendDenied, sendError, type Handler } from './common.ts';
import { startHandoff } from './handoff.ts';
import { callback, login, logout, logoutForm, stepUp } from './login.ts';
import { manageKeys, mfaForm, totpEnrol, totpVerify, webauthnEndpoint } from './mfa.ts';

export const JWKS_PATH = '/.well-known/gatehouse/jwks.json';

const ROUTES: Record<string, Handler> = {
  'GET /': home,
  'GET /login': login,
  'GET /callback': callback,
  'GET /logout': logoutForm,
  'POST /logout': logout,
  'GET /handoff': startHandoff,
  'GET /stepup': stepUp,
  'GET /mfa': mfaForm,
  'GET /mfa/manage': manageKeys,
  'POST /mfa/totp': totpVerify,
  'GET /mfa/totp/enrol': totpEnrol,
  'POST /mfa/webauthn/register-options': webauthnEndpoint('register', 'options'),
  'POST /mfa/webauthn/register': webauthnEndpoint('register', 'verify'),
  'POST /mfa/webauthn/authenticate-options': webauthnEndpoint('authenticate', 'options'),
  'POST /mfa/webauthn/authenticate': webauthnEndpoint('authenticate', 'verify'),
  'GET /access': (c) => accessForm(c),
  'POST /access/request': accessRequest,
  'GET /access/approvals': (c) => approvals(c),
  'POST /access/decide': decide,
  'GET /admin/sessions': sessionsAdmin,
  'POST /admin/sessions/kill': killSession,
};

const STATIC: Record<string, { type: string; body: string }> = {
  '/.gatehouse/static/style.css': { type: 'text/css; charset=utf-8', body: STYLE_CSS },
  '/.gatehouse/static/webauthn.js': { type: 'text/javascript; charset=utf-8', body: WEBAUTHN_JS },
};

function sendAsset(b: BrokerContext, req: IncomingMessage, res: ServerResponse, type: string, body: string, maxAge: number): void {
  b.pages.apply(req, res);
  res.setHeader('cache-control', `public, max-age=${maxAge}`);
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Static assets and the JWKS, on every host (no certificate needed); true when served. */
export function servePublic(b: BrokerContext, req: IncomingMessage, res: ServerResponse, pathname: string, isBrokerHost: boolean): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const asset = STATIC[pathname];
  if (asset !== undefined) {
    sendAsset(b, req, res, asset.type, asset.body, 3600);
    return true;
  }
  if (isBrokerHost && pathname === JWKS_PATH) {
    sendAsset(b, req, res, 'application/jwk-set+json', JSON.stringify(b.assertions.jwks()), 300);
    return true;
  }
  return false;
}

export async function handleBrokerHost(b: BrokerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const c0 = { b, req, res };
  const rawUrl = req.url ?? '';
  if (!rawUrl.startsWith('/') || rawUrl.startsWith('//')) return sendDenied(c0, 400, ['request-target-invalid']);
  const url = new URL(rawUrl, b.brokerOrigin);
  if (servePublic(b, req, res, url.pathname, true)) return;
  const peer = await b.peers.check(req.socket as TLSSocket);
  if (!peer.ok) {
    b.requests.inc('-', peer.reason);
    return sendDenied(c0, peer.status, [peer.reason], { title: peer.status === 503 ? 'Temporarily unavailable' : 'Client certificate refused' });
  }
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? '');
  const handler = ROUTES[`${method} ${url.pathname}`];
  if (handler === undefined) return sendDenied(c0, 404, ['not-found'], { title: 'Not found', links: [{ href: '/', label: 'Home' }] });
  const c = { b, req, res, url, peer: peer.cert };
  try {
    await handler(c);
  } catch (e) {
    sendError(c, e, url.pathname.startsWith('/mfa/webauthn/'));
  }
}
