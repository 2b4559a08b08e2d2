/**
 * Cross-checks and compilation of a schema-valid policy document into the frozen Policy that
 * evaluate() reads.
 *
 * Rules enforced:
 * - Route ids, route hosts and rule ids are unique; every route id a rule names exists.
 * - CIDRs and time windows are compiled once here (evaluate() never parses).
 * - Allow-rule path prefixes keep their case (RFC 3986 §6.2.2.1: paths are case-sensitive);
 *   deny-rule path prefixes are lower-cased and matched against the lower-cased path, so a
 *   case-insensitive upstream cannot be reached through `/ADMIN` when `/admin` is denied.
 * - A prefix matches on a segment boundary: `/api/` and `/api` both match `/api`, `/api/x`,
 *   never `/apix`; `/` matches every path.
 * - Rules are indexed per route in document order, deny and allow apart.
 */
import { AppError } from '../../platform/errors.ts';
import { parseCidr, type Cidr } from './cidr.ts';
import { normalizeFingerprint, parsePin } from './fingerprint.ts';
import type { PolicyDocument } from './schema.ts';
import { compileTimeWindow } from './time-window.ts';
import type { CompiledRule, Policy, Route, RouteRules, UpstreamPin } from './types.ts';

function invalid(path: string, message: string): AppError {
  return new AppError('ERR_POLICY_INVALID', `policy invalid: ${path}: ${message}`);
}

function setOrNull<T>(items: readonly T[] | undefined): ReadonlySet<T> | null {
  return items === undefined ? null : new Set(items);
}

function compileRoutes(doc: PolicyDocument): Map<string, Route> {
  const routes = new Map<string, Route>();
  const hosts = new Map<string, number>();
  doc.routes.forEach((r, i) => {
    if (routes.has(r.id)) throw invalid(`routes[${i}].id`, `duplicate route id '${r.id}'`);
    const other = hosts.get(r.host);
    if (other !== undefined) throw invalid(`routes[${i}].host`, `host already used by routes[${other}]`);
    hosts.set(r.host, i);
    const pinTexts = r.pin === undefined ? [] : typeof r.pin === 'string' ? [r.pin] : r.pin;
    const pins = pinTexts.map((p) => parsePin(p)).filter((p): p is UpstreamPin => p !== null);
    routes.set(
      r.id,
      Object.freeze({
        id: r.id,
        host: r.host,
        upstream: Object.freeze({ ...r.upstream }),
        pins: Object.freeze(pins),
        ca: r.ca ?? null,
        websocket: r.websocket,
        sensitive: r.sensitive,
        session: Object.freeze({ ...r.session }),
      }),
    );
  });
  return routes;
}

function prefixOf(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

function compileRule(r: PolicyDocument['rules'][number], i: number): CompiledRule {
  const w = r.when;
  const deny = r.effect === 'deny';
  let cidrs: Cidr[] | null = null;
  if (w.sourceCidrs !== undefined) {
    cidrs = w.sourceCidrs.map((c, k) => {
      const res = parseCidr(c);
      if (!res.ok) throw invalid(`rules[${i}].when.sourceCidrs[${k}]`, res.error);
      return res.cidr;
    });
  }
  let timeWindow: CompiledRule['timeWindow'] = null;
  if (w.timeWindow !== undefined) {
    const res = compileTimeWindow(w.timeWindow);
    if (typeof res === 'string') throw invalid(`rules[${i}].when.timeWindow`, res);
    timeWindow = res;
  }
  const fps = w.certificate?.fingerprints?.map((f) => normalizeFingerprint(f) ?? '');
  return Object.freeze({
    id: r.id,
    effect: r.effect,
    routes: r.routes[0] === '*' ? '*' : new Set(r.routes),
    groups: setOrNull(w.groups),
    usersLower: setOrNull(w.users?.map((u) => u.toLowerCase())),
    usersExact: setOrNull(w.users),
    certificate:
      w.certificate === undefined
        ? null
        : Object.freeze({ issuer: w.certificate.issuer, fingerprints: setOrNull(fps) }),
    mfa:
      w.mfa === undefined
        ? null
        : Object.freeze({ methods: setOrNull(w.mfa.methods), maxAgeSeconds: w.mfa.maxAgeSeconds ?? null }),
    methods: setOrNull(w.methods),
    pathPrefixes:
      w.paths === undefined
        ? null
        : Object.freeze(w.paths.map((p) => (deny ? prefixOf(p).toLowerCase() : prefixOf(p)))),
    cidrs: cidrs === null ? null : Object.freeze(cidrs),
    timeWindow,
    jitGrant: w.jitGrant === true,
  });
}

export function compilePolicy(doc: PolicyDocument, stepUpMaxAgeSeconds: number): Policy {
  const routes = compileRoutes(doc);
  const ruleIds = new Set<string>();
  const rules: CompiledRule[] = [];
  doc.rules.forEach((r, i) => {
    if (ruleIds.has(r.id)) throw invalid(`rules[${i}].id`, `duplicate rule id '${r.id}'`);
    ruleIds.add(r.id);
    r.routes.forEach((id, k) => {
      if (id !== '*' && !routes.has(id)) throw invalid(`rules[${i}].routes[${k}]`, `unknown route '${id}'`);
    });
    rules.push(compileRule(r, i));
  });
  const rulesByRoute = new Map<string, RouteRules>();
  for (const routeId of routes.keys()) {
    const applies = rules.filter((r) => r.routes === '*' || r.routes.has(routeId));
    rulesByRoute.set(
      routeId,
      Object.freeze({
        deny: Object.freeze(applies.filter((r) => r.effect === 'deny')),
        allow: Object.freeze(applies.filter((r) => r.effect === 'allow')),
      }),
    );
  }
  const routesByHost = new Map<string, Route>();
  for (const r of routes.values()) routesByHost.set(r.host, r);
  return Object.freeze({
    routes,
    routesByHost,
    rules: Object.freeze(rules),
    rulesByRoute,
    stepUpMaxAgeSeconds,
  });
}
