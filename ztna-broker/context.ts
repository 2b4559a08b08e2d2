/**
 * The broker's wired services as the request handlers see them, and the URL helpers every
 * handler shares.
 *
 * Rules enforced:
 * - Public URLs are always https://<host>[:publicPort] built here, never from request headers
 *   (a forged Host or X-Forwarded-Host cannot change where the broker sends a browser).
 * - "Next" URLs come only from a validated return-to (web/redirects.ts): a route host is
 *   reached through the broker's hand-off, the broker host directly.
 * - Admins and approvers are recognised by the IdP groups configured for them, nothing else.
 */
import type { BrokerConfig } from '../platform/config/index.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import type { Db } from '../platform/db/index.ts';
import type { EventBus } from '../platform/events.ts';
import type { Logger } from '../platform/log.ts';
import type { CertMappings } from './authn/identity.ts';
import type { OidcClient } from './authn/oidc.ts';
import type { MfaThrottle } from './authn/throttle.ts';
import type { TotpService } from './authn/totp.ts';
import type { WebauthnService } from './authn/webauthn.ts';
import type { JitService } from './jit/service.ts';
import type { PageHeaders } from './pages/html.ts';
import type { Policy } from './policy/index.ts';
import type { AssertionSigner } from './proxy/assertion.ts';
import type { Upstreams } from './proxy/upstreams.ts';
import type { RequestAuditor } from './request-audit.ts';
import type { SessionService } from './sessions/service.ts';
import type { SessionUser } from './sessions/types.ts';
import type { ConnectionRegistry } from './tls/registry.ts';
import type { PeerVerifier } from './tls/peer.ts';
import { originOf, parseReturnTo, urlOf, type RedirectScope } from './web/redirects.ts';

export interface BrokerContext {
  readonly cfg: BrokerConfig;
  readonly brokerHost: string;
  readonly publicPort: number;
  readonly brokerOrigin: string;
  policy(): Policy;
  readonly db: Db;
  readonly audit: AuditLog;
  readonly bus: EventBus;
  readonly log: Logger;
  readonly now: () => number;
  readonly peers: PeerVerifier;
  readonly sessions: SessionService;
  readonly oidc: OidcClient;
  /** Per-user second-factor lockout across sessions and nodes. */
  readonly mfaThrottle: MfaThrottle;
  readonly totp: TotpService | null;
  readonly webauthn: WebauthnService | null;
  readonly mappings: CertMappings;
  readonly jit: JitService;
  readonly assertions: AssertionSigner;
  readonly upstreams: Upstreams;
  readonly auditor: RequestAuditor;
  pages: PageHeaders;
  readonly registry: ConnectionRegistry;
  /** Decisions by route and outcome (gatehouse_broker_requests_total). */
  readonly requests: { inc(route: string, outcome: string): void };
}

export function redirectScope(b: BrokerContext): RedirectScope {
  return { brokerHost: b.brokerHost, publicPort: b.publicPort, isRouteHost: (h) => b.policy().routesByHost.has(h) };
}

export function routeOrigin(b: BrokerContext, host: string): string {
  return originOf(host, b.publicPort);
}

/** Where to send the browser for a stored, validated return-to (absolute URL or path). */
export function nextUrl(b: BrokerContext, returnTo: string | undefined | null): string {
  const r = parseReturnTo(returnTo ?? '/', redirectScope(b));
  if (r === null || r.host === b.brokerHost) return r?.target ?? '/';
  return `/handoff?rd=${encodeURIComponent(urlOf(r, b.publicPort))}`;
}

/** The broker login URL that comes back to `absoluteUrl` afterwards. */
export function loginUrl(b: BrokerContext, absoluteUrl: string, path = '/login'): string {
  return `${b.brokerOrigin}${path}?rd=${encodeURIComponent(absoluteUrl)}`;
}

export function isAdmin(b: BrokerContext, user: SessionUser): boolean {
  return user.groups.some((g) => b.cfg.adminGroups.includes(g));
}
