/**
 * Types of the compiled (load-time validated, frozen) policy, the facts evaluate() reads and the
 * decision it returns.
 *
 * Rules enforced by these shapes:
 * - Everything evaluate() needs is precompiled: CIDRs as masked words, time windows with their
 *   Intl formatter, user/group/fingerprint sets, and a per-route index of deny and allow rules in
 *   document order.
 * - Times in facts: `now` and JIT grant bounds are epoch MILLISECONDS; `mfa.authenticatedAt` is
 *   epoch SECONDS (OIDC `auth_time`, OpenID Connect Core §2).
 */
import type { Cidr } from './cidr.ts';
import type { CompiledTimeWindow } from './time-window.ts';

export const MFA_METHODS = ['totp', 'webauthn', 'idp'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type UpstreamPin =
  { readonly kind: 'spki-sha256'; readonly base64: string } | { readonly kind: 'cert-sha256'; readonly hex: string };

export interface Route {
  readonly id: string;
  /** Lower-case host name, no port. */
  readonly host: string;
  readonly upstream: {
    readonly origin: string;
    readonly protocol: 'http:' | 'https:';
    readonly hostname: string;
    readonly port: number;
  };
  /** Non-empty for https upstreams unless `ca` is set; empty for http. */
  readonly pins: readonly UpstreamPin[];
  /** PEM file path of the CA that signs the upstream's certificate, or null. */
  readonly ca: string | null;
  readonly websocket: boolean;
  readonly sensitive: boolean;
  readonly session: { readonly maxIdleSeconds: number; readonly maxLifetimeSeconds: number };
}

export interface CompiledRule {
  readonly id: string;
  readonly effect: 'allow' | 'deny';
  /** Route ids, or '*' for every route. */
  readonly routes: '*' | ReadonlySet<string>;
  readonly groups: ReadonlySet<string> | null;
  /** Lower-cased entries (e-mail match, case-insensitive). */
  readonly usersLower: ReadonlySet<string> | null;
  /** Entries as written (subject `sub` match, exact). */
  readonly usersExact: ReadonlySet<string> | null;
  readonly certificate: { readonly issuer: string; readonly fingerprints: ReadonlySet<string> | null } | null;
  readonly mfa: { readonly methods: ReadonlySet<string> | null; readonly maxAgeSeconds: number | null } | null;
  readonly methods: ReadonlySet<string> | null;
  /** Path prefixes without trailing slash ('' = root, matches everything). */
  readonly pathPrefixes: readonly string[] | null;
  readonly cidrs: readonly Cidr[] | null;
  readonly timeWindow: CompiledTimeWindow | null;
  readonly jitGrant: boolean;
}

export interface RouteRules {
  readonly deny: readonly CompiledRule[];
  readonly allow: readonly CompiledRule[];
}

export interface Policy {
  readonly routes: ReadonlyMap<string, Route>;
  readonly routesByHost: ReadonlyMap<string, Route>;
  readonly rules: readonly CompiledRule[];
  readonly rulesByRoute: ReadonlyMap<string, RouteRules>;
  /** Step-up MFA max age applied on `sensitive` routes even when a rule sets none. */
  readonly stepUpMaxAgeSeconds: number;
}

export interface LoadPolicyOptions {
  /** Default 300. */
  readonly stepUpMaxAgeSeconds?: number;
  /** Largest accepted YAML text in characters; default 1 MiB. */
  readonly maxChars?: number;
}

export interface JitGrant {
  readonly routeId: string;
  /** Subject `sub` (exact) or e-mail (case-insensitive). */
  readonly user: string;
  /** Epoch milliseconds, inclusive. */
  readonly notBefore: number;
  /** Epoch milliseconds, exclusive. */
  readonly notAfter: number;
}

export interface Facts {
  readonly routeId: string;
  readonly user: { readonly sub: string; readonly email: string; readonly groups: readonly string[] };
  readonly certificate: {
    readonly fingerprint: string;
    readonly issuer: string;
    readonly serial: string;
    readonly valid: boolean;
  };
  readonly mfa: { readonly method: string; readonly authenticatedAt: number } | null;
  readonly method: string;
  /** Output of normalizePath(); anything else is denied with 'path-invalid'. */
  readonly path: string;
  readonly sourceIp: string;
  /** Epoch milliseconds. */
  readonly now: number;
  readonly jitGrants: readonly JitGrant[];
  /** True when authorizing a WebSocket upgrade (denied on routes without `websocket: true`). */
  readonly websocket?: boolean;
}

export interface RuleMiss {
  readonly ruleId: string;
  readonly reasons: readonly string[];
}

export interface Decision {
  readonly allow: boolean;
  /** The allow rule that matched, the first deny rule that matched, or null. */
  readonly ruleId: string | null;
  /** Stable kebab-case reasons; empty on allow. */
  readonly reasons: readonly string[];
  /** Per candidate allow rule, why it did not match (only on 'no-matching-allow-rule'). */
  readonly misses: readonly RuleMiss[];
}
