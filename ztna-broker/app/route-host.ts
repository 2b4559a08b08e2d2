/**
 * Console hosts: every request and WebSocket upgrade goes through the gate, then to the console.
 *
 * Rules enforced:
 * - `/.gatehouse/` paths on a console host belong to the broker (hand-off, logout); everything
 *   else is authorized by the gate (proxy/gate.ts) and, only when allowed, forwarded.
 * - Every decision is audited (request-audit.ts) with its rule id and reasons; in 'each' mode
 *   an audit failure stops the request (503) before anything reaches the console.
 * - "Sign in" and "step up" answers redirect GET/HEAD navigations to the broker host with the
 *   request as return-to (validated again there); other methods get a 401/403 page.
 * - Forwarded: sanitized headers (policy/headers.ts) + the ES256 assertion; the normalized
 *   target exactly as authorized.
 * - WebSocket upgrades additionally need `Upgrade: websocket`, an Origin equal to the route's
 *   own origin, and a route with websocket: true; the tunnel is cut at the earliest of session
 *   expiry, the route's session lifetime and the certificate's notAfter, and on revocation or
 *   session kill (tls/registry.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BrokerContext } from '../context.ts';
import { loginUrl, routeOrigin } from '../context.ts';
import { sanitizeRequestHeaders, type Route } from '../policy/index.ts';
import { authorize, type GateOutcome } from '../proxy/gate.ts';
import { forwardHttp } from '../proxy/http-proxy.ts';
import { rejectUpgrade, tunnelWebSocket } from '../proxy/websocket.ts';
import { BROKER_COOKIE_NAMES } from '../web/cookies.ts';
import { clientIp } from '../web/request.ts';
import { servePublic } from './broker-host.ts';
import { sendDenied } from './common.ts';
import { finishHandoff, routeLogout } from './handoff.ts';
import type { TLSSocket } from 'node:tls';

type GateDeps = Parameters<typeof authorize>[0];
const gateDepsOf = new WeakMap<BrokerContext, GateDeps>();

/** One GateDeps per broker (built per request it cost a closure, and tsx names each: ~1.5 µs). */
function gateDeps(b: BrokerContext): GateDeps {
  let d = gateDepsOf.get(b);
  if (!d) gateDepsOf.set(b, (d = { policy: () => b.policy(), peers: b.peers, sessions: b.sessions, jit: b.jit, now: b.now }));
  return d;
}

async function auditOutcome(b: BrokerContext, req: IncomingMessage, route: Route, o: GateOutcome, websocket: boolean): Promise<void> {
  const session = 'session' in o ? (o.session ?? null) : null;
  b.requests.inc(route.id, o.kind === 'allow' ? 'allow' : (o.reasons[0] ?? o.kind));
  await b.auditor.record({
    sessionId: session?.id ?? null,
    user: session?.user.email ?? null,
    routeId: route.id,
    method: req.method ?? '',
    path: o.kind === 'allow' ? o.target : (req.url ?? '').slice(0, 512),
    sourceIp: clientIp(req),
    certSerial: 'peer' in o ? o.peer.serial : null,
    allow: o.kind === 'allow',
    ruleId: o.kind === 'allow' ? o.decision.ruleId : o.kind === 'deny' ? o.ruleId : null,
    reasons: o.kind === 'allow' ? [] : o.reasons,
    websocket,
  });
}

async function upstreamHeaders(b: BrokerContext, req: IncomingMessage, route: Route, o: Extract<GateOutcome, { kind: 'allow' }>) {
  const headers = sanitizeRequestHeaders(req.headers, { brokerCookieNames: BROKER_COOKIE_NAMES });
  headers[b.cfg.assertion.header] = await b.assertions.sign({
    sessionId: o.session.id,
    routeId: route.id,
    audience: routeOrigin(b, route.host),
    sub: o.session.user.sub,
    email: o.session.user.email,
    groups: o.session.user.groups,
    mfaMethod: o.session.mfa?.method ?? null,
    mfaAt: o.session.mfa?.at ?? null,
    certThumbprint: o.peer.fingerprint,
  });
  return headers;
}

export async function handleRouteHost(b: BrokerContext, req: IncomingMessage, res: ServerResponse, route: Route, host: string): Promise<void> {
  const c0 = { b, req, res };
  const rawUrl = req.url ?? '';
  if (rawUrl.startsWith('/.gatehouse/')) {
    if (servePublic(b, req, res, rawUrl.split('?')[0] ?? '', false)) return;
    const peer = await b.peers.check(req.socket as TLSSocket);
    if (!peer.ok) return sendDenied(c0, peer.status, [peer.reason], { title: 'Client certificate refused' });
    const url = new URL(rawUrl, routeOrigin(b, host));
    const c = { ...c0, url, peer: peer.cert };
    if (req.method === 'GET' && url.pathname === '/.gatehouse/handoff') return finishHandoff(c, host);
    if (req.method === 'GET' && url.pathname === '/.gatehouse/logout') return routeLogout(c);
    return sendDenied(c0, 404, ['not-found']);
  }
  const o = await authorize(gateDeps(b), req, route, host, false);
  try {
    await auditOutcome(b, req, route, o, false);
  } catch (e) {
    b.log.error({ err: e }, 'request audit failed');
    return sendDenied(c0, 503, ['audit-unavailable']);
  }
  const nav = req.method === 'GET' || req.method === 'HEAD';
  const here = `${routeOrigin(b, host)}${rawUrl.startsWith('/') ? rawUrl : '/'}`;
  switch (o.kind) {
    case 'certificate':
      return sendDenied(c0, o.status, o.reasons, { title: o.status === 503 ? 'Temporarily unavailable' : 'Client certificate refused' });
    case 'login':
      if (nav) return b.pages.redirect(req, res, loginUrl(b, here), 302);
      return sendDenied(c0, 401, o.reasons, { links: [{ href: loginUrl(b, `${routeOrigin(b, host)}/`), label: 'Sign in' }] });
    case 'stepup':
      if (nav) return b.pages.redirect(req, res, loginUrl(b, here, '/stepup'), 302);
      return sendDenied(c0, 403, o.reasons, { links: [{ href: loginUrl(b, `${routeOrigin(b, host)}/`, '/stepup'), label: 'Verify again' }] });
    case 'deny':
      return sendDenied(c0, o.status, o.reasons, { ruleId: o.ruleId, links: [{ href: `${b.brokerOrigin}/access`, label: 'Request access' }] });
  }
  const failure = await forwardHttp(b.upstreams.pool(route), req, res, o.target, await upstreamHeaders(b, req, route, o), upstreamHost(route));
  if (failure !== null) sendDenied(c0, failure.status, [failure.reason], { title: 'Console unavailable' });
}

function upstreamHost(route: Route): string {
  const u = route.upstream;
  const dflt = (u.protocol === 'https:' && u.port === 443) || (u.protocol === 'http:' && u.port === 80);
  return dflt ? u.hostname : `${u.hostname}:${u.port}`;
}

export async function handleRouteUpgrade(b: BrokerContext, req: IncomingMessage, socket: Duplex, head: Buffer, route: Route, host: string): Promise<void> {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return rejectUpgrade(socket, 400, 'only websocket upgrades are supported');
  if (req.headers.origin !== routeOrigin(b, host)) {
    b.requests.inc(route.id, 'origin-not-allowed');
    await b.auditor.record({ sessionId: null, user: null, routeId: route.id, method: 'GET', path: (req.url ?? '').slice(0, 512), sourceIp: clientIp(req), certSerial: null, allow: false, ruleId: null, reasons: ['origin-not-allowed'], websocket: true }).catch(() => undefined);
    return rejectUpgrade(socket, 403, 'origin-not-allowed');
  }
  const o = await authorize(gateDeps(b), req, route, host, true);
  try {
    await auditOutcome(b, req, route, o, true);
  } catch {
    return rejectUpgrade(socket, 503, 'audit-unavailable');
  }
  if (o.kind !== 'allow') {
    const status = o.kind === 'certificate' ? o.status : o.kind === 'deny' ? o.status : o.kind === 'login' ? 401 : 403;
    return rejectUpgrade(socket, status, o.reasons.join(' '));
  }
  const deadline = Math.min(o.session.expiresAt, o.session.createdAt + route.session.maxLifetimeSeconds * 1000, o.peer.notAfter);
  b.registry.bindSession(o.session.id, socket);
  const failure = await tunnelWebSocket({
    pool: b.upstreams.pool(route),
    req,
    client: socket,
    head,
    target: o.target,
    headers: await upstreamHeaders(b, req, route, o),
    upstreamHost: upstreamHost(route),
    deadline,
    now: b.now,
  });
  if (failure !== null) rejectUpgrade(socket, failure.status, failure.reason);
}
