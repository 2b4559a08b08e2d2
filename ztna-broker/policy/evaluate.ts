/**
 * evaluate(policy, facts) → Decision: the per-request (and per-WebSocket-upgrade) authorization.
 *
 * Rules enforced:
 * - Pure: no clock, no I/O; the instant comes in `facts.now` (epoch ms). Never throws: anything
 *   unexpected is a deny ('evaluation-error'), never an allow.
 * - Default deny ('no-matching-allow-rule'), deny overrides allow: any matching deny rule wins
 *   ('denied-by-rule:<id>' for each), whatever the allow rules say.
 * - Preconditions, checked before any rule: known route ('unknown-route'), a valid client
 *   certificate ('certificate-invalid'), a WebSocket upgrade only on a `websocket: true` route
 *   ('websocket-not-allowed'), a parseable source address ('source-ip-invalid'), a finite clock
 *   ('clock-invalid') and a normalized path ('path-invalid', see path.ts).
 * - Inside `when`, every condition must hold (AND); inside a list, any entry (OR). Users match
 *   the e-mail case-insensitively or the `sub` exactly.
 * - A deny rule matches when all its conditions hold; its paths compare case-insensitively.
 * - MFA: a rule's `mfa`, or a `sensitive` route, requires an MFA fact; a sensitive route caps
 *   the age at policy.stepUpMaxAgeSeconds even when the rule sets none or a longer one.
 *   An `authenticatedAt` more than MFA_FUTURE_SKEW_SECONDS in the future is refused.
 * - JIT grants are bound to (route, user) and active for notBefore <= now < notAfter (epoch ms).
 * - On default deny, `misses` lists, per candidate allow rule, every condition that failed, and
 *   `reasons` is 'no-matching-allow-rule' followed by their union in first-seen order.
 */
import { anyCidrContains, parseIp, type IpAddress } from './cidr.ts';
import { normalizeFingerprint } from './fingerprint.ts';
import { isNormalizedPath } from './path.ts';
import { inTimeWindow } from './time-window.ts';
import type { CompiledRule, Decision, Facts, Policy, Route, RuleMiss } from './types.ts';

export const MFA_FUTURE_SKEW_SECONDS = 60;

export const NO_MATCHING_ALLOW_RULE = 'no-matching-allow-rule';

export function deniedByRule(ruleId: string): string {
  return `denied-by-rule:${ruleId}`;
}

interface Ctx {
  readonly facts: Facts;
  readonly route: Route;
  readonly ip: IpAddress;
  readonly emailLower: string;
  readonly pathLower: string;
  readonly fingerprint: string | null;
}

function deny(reasons: string[], ruleId: string | null = null, misses: RuleMiss[] = []): Decision {
  return { allow: false, ruleId, reasons, misses };
}

function prefixMatch(prefixes: readonly string[], path: string): boolean {
  for (const p of prefixes) {
    if (path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 0x2f)) return true;
  }
  return false;
}

function groupsMatch(rule: CompiledRule, ctx: Ctx): boolean {
  if (rule.groups === null) return true;
  for (const g of ctx.facts.user.groups) if (rule.groups.has(g)) return true;
  return false;
}

function userMatch(rule: CompiledRule, ctx: Ctx): boolean {
  if (rule.usersLower === null || rule.usersExact === null) return true;
  return (ctx.emailLower !== '' && rule.usersLower.has(ctx.emailLower)) || rule.usersExact.has(ctx.facts.user.sub);
}

function certIssuerMatch(rule: CompiledRule, ctx: Ctx): boolean {
  return rule.certificate === null || rule.certificate.issuer === ctx.facts.certificate.issuer;
}

function certFingerprintMatch(rule: CompiledRule, ctx: Ctx): boolean {
  const fps = rule.certificate?.fingerprints ?? null;
  return fps === null || (ctx.fingerprint !== null && fps.has(ctx.fingerprint));
}

function denyRuleMatches(rule: CompiledRule, ctx: Ctx): boolean {
  const f = ctx.facts;
  return (
    groupsMatch(rule, ctx) &&
    userMatch(rule, ctx) &&
    certIssuerMatch(rule, ctx) &&
    certFingerprintMatch(rule, ctx) &&
    (rule.methods === null || rule.methods.has(f.method)) &&
    (rule.pathPrefixes === null || prefixMatch(rule.pathPrefixes, ctx.pathLower)) &&
    (rule.cidrs === null || anyCidrContains(rule.cidrs, ctx.ip)) &&
    (rule.timeWindow === null || inTimeWindow(rule.timeWindow, f.now))
  );
}

function mfaReasons(rule: CompiledRule, ctx: Ctx, policy: Policy): string[] {
  const required = rule.mfa !== null || ctx.route.sensitive;
  if (!required) return [];
  const mfa = ctx.facts.mfa;
  if (mfa === null || mfa === undefined) return ['mfa-required'];
  const out: string[] = [];
  const methods = rule.mfa?.methods ?? null;
  if (methods !== null && !methods.has(mfa.method)) out.push('mfa-method-not-allowed');
  let maxAge = rule.mfa?.maxAgeSeconds ?? Infinity;
  if (ctx.route.sensitive) maxAge = Math.min(maxAge, policy.stepUpMaxAgeSeconds);
  const age = typeof mfa.authenticatedAt === 'number' ? ctx.facts.now / 1000 - mfa.authenticatedAt : NaN;
  if (!Number.isFinite(age) || age < -MFA_FUTURE_SKEW_SECONDS) out.push('mfa-time-invalid');
  else if (age > maxAge) out.push('mfa-too-old');
  return out;
}

function hasActiveGrant(ctx: Ctx): boolean {
  const f = ctx.facts;
  for (const g of f.jitGrants) {
    if (g.routeId !== f.routeId) continue;
    const who = g.user === f.user.sub || (ctx.emailLower !== '' && g.user.toLowerCase() === ctx.emailLower);
    if (who && g.notBefore <= f.now && f.now < g.notAfter) return true;
  }
  return false;
}

/** Every condition of an allow rule that does not hold (empty = the rule matches). */
function allowRuleMisses(rule: CompiledRule, ctx: Ctx, policy: Policy): string[] {
  const f = ctx.facts;
  const out: string[] = [];
  if (!groupsMatch(rule, ctx)) out.push('group-not-allowed');
  if (!userMatch(rule, ctx)) out.push('user-not-allowed');
  if (!certIssuerMatch(rule, ctx)) out.push('certificate-issuer-not-allowed');
  if (!certFingerprintMatch(rule, ctx)) out.push('certificate-not-allowed');
  out.push(...mfaReasons(rule, ctx, policy));
  if (rule.methods !== null && !rule.methods.has(f.method)) out.push('method-not-allowed');
  if (rule.pathPrefixes !== null && !prefixMatch(rule.pathPrefixes, f.path)) out.push('path-not-allowed');
  if (rule.cidrs !== null && !anyCidrContains(rule.cidrs, ctx.ip)) out.push('source-not-allowed');
  if (rule.timeWindow !== null && !inTimeWindow(rule.timeWindow, f.now)) out.push('outside-time-window');
  if (rule.jitGrant && !hasActiveGrant(ctx)) out.push('jit-grant-required');
  return out;
}

/** One-entry memos: keep-alive requests repeat the same source address and certificate. */
let lastIp: { text: string; ip: IpAddress | null } = { text: '', ip: null };
let lastFp: { text: string; fp: string | null } = { text: '', fp: null };

function sourceIpOf(text: string): IpAddress | null {
  if (text !== lastIp.text) lastIp = { text, ip: parseIp(text, true) };
  return lastIp.ip;
}

function fingerprintOf(text: string): string | null {
  if (text !== lastFp.text) lastFp = { text, fp: normalizeFingerprint(text) };
  return lastFp.fp;
}

function evaluateUnsafe(policy: Policy, facts: Facts): Decision {
  const route = policy.routes.get(facts.routeId);
  const rules = policy.rulesByRoute.get(facts.routeId);
  if (route === undefined || rules === undefined) return deny(['unknown-route']);
  if (facts.certificate?.valid !== true) return deny(['certificate-invalid']);
  if (facts.websocket === true && !route.websocket) return deny(['websocket-not-allowed']);
  const ip = typeof facts.sourceIp === 'string' ? sourceIpOf(facts.sourceIp) : null;
  if (ip === null) return deny(['source-ip-invalid']);
  if (typeof facts.now !== 'number' || !Number.isFinite(facts.now)) return deny(['clock-invalid']);
  if (!isNormalizedPath(facts.path)) return deny(['path-invalid']);
  const email = facts.user.email;
  const ctx: Ctx = {
    facts,
    route,
    ip,
    emailLower: typeof email === 'string' ? email.toLowerCase() : '',
    pathLower: facts.path.toLowerCase(),
    fingerprint: typeof facts.certificate.fingerprint === 'string' ? fingerprintOf(facts.certificate.fingerprint) : null,
  };

  const denials: string[] = [];
  let firstDeny: string | null = null;
  for (const rule of rules.deny) {
    if (!denyRuleMatches(rule, ctx)) continue;
    firstDeny ??= rule.id;
    denials.push(deniedByRule(rule.id));
  }
  if (firstDeny !== null) return deny(denials, firstDeny);

  const misses: RuleMiss[] = [];
  for (const rule of rules.allow) {
    const reasons = allowRuleMisses(rule, ctx, policy);
    if (reasons.length === 0) return { allow: true, ruleId: rule.id, reasons: [], misses: [] };
    misses.push({ ruleId: rule.id, reasons });
  }
  const union = new Set<string>([NO_MATCHING_ALLOW_RULE]);
  for (const m of misses) for (const r of m.reasons) union.add(r);
  return deny([...union], null, misses);
}

export function evaluate(policy: Policy, facts: Facts): Decision {
  try {
    return evaluateUnsafe(policy, facts);
  } catch {
    return deny(['evaluation-error']);
  }
}
