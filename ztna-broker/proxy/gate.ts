/**
 * The gate in front of every console request and WebSocket upgrade.
 *
 * Rules enforced, in this order (the first failure decides):
 * 1. A verified, live, admin-profile client certificate (tls/peer.ts) — else a certificate
 *    denial (403, or 503 when revocation state is unknown).
 * 2. A session token minted for THIS host, bound to THIS certificate, within idle and absolute
 *    lifetimes, past its MFA stage — else "sign in" (the broker login/hand-off), and within the
 *    route's own session limits (maxIdleSeconds / maxLifetimeSeconds).
 * 3. A request target that normalizes (policy/path.ts) — else 400 'path-invalid'.
 * 4. policy.evaluate(facts) with the user's active JIT grants: allow, or deny with reasons;
 *    when an allow rule misses only MFA (missing / too old), the outcome is a step-up.
 * The outcome carries everything the caller needs to log, audit and forward; nothing here writes
 * to the client.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { JitService } from '../jit/service.ts';
import { evaluate, normalizePath, type Decision, type Policy, type Route } from '../policy/index.ts';
import type { SessionService } from '../sessions/service.ts';
import type { SessionRecord } from '../sessions/types.ts';
import type { PeerCert, PeerVerifier } from '../tls/peer.ts';
import { hashToken, readCookie, SESSION_COOKIE } from '../web/cookies.ts';
import { clientIp } from '../web/request.ts';

export interface GateDeps {
  policy(): Policy;
  peers: PeerVerifier;
  sessions: SessionService;
  jit: JitService;
  now: () => number;
}

export type GateOutcome =
  | { kind: 'allow'; peer: PeerCert; session: SessionRecord; target: string; decision: Decision }
  | { kind: 'certificate'; status: 403 | 503; reasons: string[] }
  | { kind: 'login'; peer: PeerCert; reasons: string[]; session?: SessionRecord }
  | { kind: 'stepup'; peer: PeerCert; session: SessionRecord; reasons: string[]; decision: Decision }
  | { kind: 'deny'; status: 400 | 403; peer: PeerCert; session: SessionRecord; reasons: string[]; ruleId: string | null };

const MFA_REASONS = new Set(['mfa-required', 'mfa-too-old', 'mfa-time-invalid']);

/** The last session token seen on a connection and its hash: keep-alive requests repeat it. */
const tokenHashes = new WeakMap<object, { token: string; hash: string }>();

function tokenHashOn(socket: object, token: string): string {
  const m = tokenHashes.get(socket);
  if (m !== undefined && m.token === token) return m.hash;
  const hash = hashToken(token);
  tokenHashes.set(socket, { token, hash });
  return hash;
}

export async function authorize(d: GateDeps, req: IncomingMessage, route: Route, host: string, websocket: boolean): Promise<GateOutcome> {
  const peerResult = await d.peers.check(req.socket as TLSSocket);
  if (!peerResult.ok) return { kind: 'certificate', status: peerResult.status, reasons: [peerResult.reason] };
  const peer = peerResult.cert;

  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  const resolved = await d.sessions.resolve(token, host, peer.fingerprint, token === null ? undefined : tokenHashOn(req.socket, token));
  if (!resolved.ok) return { kind: 'login', peer, reasons: [resolved.reason] };
  const session = resolved.session;
  if (session.stage !== 'active') return { kind: 'login', peer, session, reasons: ['mfa-required'] };
  const now = d.now();
  if (now - session.createdAt > route.session.maxLifetimeSeconds * 1000) return { kind: 'login', peer, session, reasons: ['session-too-old-for-route'] };
  if (resolved.idleMs > route.session.maxIdleSeconds * 1000) return { kind: 'login', peer, session, reasons: ['session-idle-for-route'] };

  let path: string;
  let query: string;
  try {
    ({ path, query } = normalizePath(req.url ?? ''));
  } catch {
    return { kind: 'deny', status: 400, peer, session, reasons: ['path-invalid'], ruleId: null };
  }
  const decision = evaluate(d.policy(), {
    routeId: route.id,
    user: { sub: session.user.sub, email: session.user.email, groups: session.user.groups },
    certificate: { fingerprint: peer.fingerprint, issuer: peer.issuerId, serial: peer.serial, valid: true },
    mfa: session.mfa === null ? null : { method: session.mfa.method, authenticatedAt: session.mfa.at },
    method: req.method ?? '',
    path,
    sourceIp: clientIp(req),
    now,
    jitGrants: await d.jit.activeGrants(session.user),
    websocket,
  });
  if (decision.allow) return { kind: 'allow', peer, session, target: query === '' ? path : `${path}?${query}`, decision };
  // Step up only when some allow rule misses nothing but a (fresh) second factor.
  if (decision.misses.some((m) => m.reasons.length > 0 && m.reasons.every((r) => MFA_REASONS.has(r)))) {
    return { kind: 'stepup', peer, session, reasons: [...decision.reasons], decision };
  }
  return { kind: 'deny', status: 403, peer, session, reasons: [...decision.reasons], ruleId: decision.ruleId };
}
