/**
 * Applies the deployment's `ca.profiles` overrides to the built-in profiles, once, at start.
 *
 * Rules enforced (ERR_CONFIG naming the profile and the key, so boot fails loudly):
 * - Only built-in profiles can be overridden; an unknown name is a typo, not a new profile.
 * - defaultValidityDays <= maxValidityDays after merging; lowering only the maximum below the
 *   built-in default lowers the default with it.
 * - keyTypes narrow or widen within what the profile can carry: scep-ra stays RSA-only (SCEP
 *   key transport, RFC 8894 §3.1).
 * - serverAuth: true makes id-kp-serverAuth always present, false never (only on the TLS
 *   profiles: device-tls, radius-server, admin-client).
 * - publicUrl must be an absolute http(s) URL (CDP/AIA, RFC 5280 §4.2.1.13, §4.2.2.1).
 * The resolved set is frozen; getProfile() throws ERR_PROFILE_UNKNOWN for other names.
 */
import type { KeyAlgorithm } from '../../platform/crypto.ts';
import { AppError } from '../../platform/errors.ts';
import { BUILTIN_PROFILES } from './builtin.ts';
import type { Profile, ProfileDefinition } from './types.ts';

export interface ProfileOverride {
  defaultValidityDays?: number | undefined;
  maxValidityDays?: number | undefined;
  keyTypes?: readonly KeyAlgorithm[] | undefined;
  serverAuth?: boolean | undefined;
}

export type ProfileSet = ReadonlyMap<string, Profile>;

const TLS_PROFILES = new Set(['device-tls', 'radius-server', 'admin-client']);

function configError(msg: string): AppError {
  return new AppError('ERR_CONFIG', `ca.profiles: ${msg}`);
}

function merge(def: ProfileDefinition, o: ProfileOverride, publicUrl: string): Profile {
  const max = o.maxValidityDays ?? def.maxValidityDays;
  const dflt = o.defaultValidityDays ?? Math.min(def.defaultValidityDays, max);
  if (!Number.isInteger(max) || max < 1 || !Number.isInteger(dflt) || dflt < 1) throw configError(`${def.name}: validity days must be positive integers`);
  if (dflt > max) throw configError(`${def.name}.defaultValidityDays (${dflt}) exceeds maxValidityDays (${max})`);
  const keyTypes = o.keyTypes ? [...new Set(o.keyTypes)] : def.keyTypes;
  if (keyTypes.length === 0) throw configError(`${def.name}.keyTypes is empty`);
  if (def.name === 'scep-ra' && keyTypes.some((k) => !k.startsWith('RSA-'))) throw configError('scep-ra.keyTypes must be RSA only');
  let serverAuth = def.serverAuth;
  if (o.serverAuth !== undefined) {
    if (!TLS_PROFILES.has(def.name)) throw configError(`${def.name}.serverAuth is not supported`);
    serverAuth = o.serverAuth ? 'always' : 'never';
  }
  return Object.freeze({ ...def, defaultValidityDays: dflt, maxValidityDays: max, keyTypes: Object.freeze([...keyTypes]), serverAuth, publicUrl });
}

export function resolveProfiles(opts: { publicUrl: string; overrides?: Readonly<Record<string, ProfileOverride>> }): ProfileSet {
  let url: URL;
  try {
    url = new URL(opts.publicUrl);
  } catch (e) {
    throw new AppError('ERR_CONFIG', 'http.publicUrl is not a URL', { cause: e });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('ERR_CONFIG', 'http.publicUrl must be http(s)');
  const overrides = opts.overrides ?? {};
  for (const name of Object.keys(overrides)) {
    if (!Object.hasOwn(BUILTIN_PROFILES, name)) throw configError(`unknown profile ${name}`);
  }
  const out = new Map<string, Profile>();
  for (const def of Object.values(BUILTIN_PROFILES)) out.set(def.name, merge(def, overrides[def.name] ?? {}, opts.publicUrl));
  return out;
}

export function getProfile(set: ProfileSet, name: string): Profile {
  const p = typeof name === 'string' ? set.get(name) : undefined;
  if (!p) throw new AppError('ERR_PROFILE_UNKNOWN', `unknown certificate profile ${String(name).slice(0, 64)}`);
  return p;
}
