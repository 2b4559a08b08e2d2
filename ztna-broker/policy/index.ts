/**
 * ztna-broker/policy: the pure authorization layer of the broker (no I/O, no clock, no express).
 *
 * - loadPolicy(yaml)      routes + rules document → frozen, precompiled Policy (ERR_POLICY_INVALID)
 * - evaluate(policy, f)   facts → { allow, ruleId, reasons, misses }; default deny, deny overrides
 * - normalizePath(target) the one path that is authorized and forwarded (ERR_BAD_INPUT)
 * - sanitizeRequestHeaders strips hop-by-hop, forwarding, client-cert, identity headers, broker cookies
 */
export { loadPolicy, policyDocumentSchema, describeIssues, type PolicyDocument } from './schema.ts';
export { evaluate, deniedByRule, NO_MATCHING_ALLOW_RULE, MFA_FUTURE_SKEW_SECONDS } from './evaluate.ts';
export { normalizePath, isNormalizedPath, MAX_TARGET_LENGTH, type NormalizedTarget } from './path.ts';
export {
  sanitizeRequestHeaders,
  stripBrokerCookies,
  isStrippedHeaderName,
  canonicalHeaderName,
  type InboundHeaders,
  type OutboundHeaders,
  type SanitizeOptions,
} from './headers.ts';
export { parseIp, parseCidr, cidrContains, type IpAddress, type Cidr } from './cidr.ts';
export { normalizeFingerprint, parsePin } from './fingerprint.ts';
export { inTimeWindow, DAY_NAMES, type DayName, type CompiledTimeWindow } from './time-window.ts';
export {
  HTTP_METHODS,
  MFA_METHODS,
  type Decision,
  type Facts,
  type JitGrant,
  type LoadPolicyOptions,
  type MfaMethod,
  type HttpMethod,
  type Policy,
  type Route,
  type CompiledRule,
  type RuleMiss,
  type UpstreamPin,
} from './types.ts';
