/**
 * ca/profiles: pure (profile, grant, CSR key, issuer, now) -> validity + extensions.
 * Rules: see each module's header (builtin.ts lists what every profile carries, RFC 5280 §4.2).
 */
export { BUILTIN_PROFILES } from './builtin.ts';
export { resolveProfiles, getProfile, type ProfileOverride, type ProfileSet } from './resolve.ts';
export { applyProfile, BACKDATE_MS, type AppliedProfile, type CsrKey, type ProfileIssuer } from './apply.ts';
export { keyTypeOf, keyPolicyFor, keyUsageFor, type Profile, type ProfileDefinition, type SanType, type ServerAuthMode } from './types.ts';
