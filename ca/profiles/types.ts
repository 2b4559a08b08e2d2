/**
 * What a certificate profile is: validity bounds, key types, key usages, names and the
 * revocation pointers a certificate of that kind carries.
 *
 * Rules enforced:
 * - Key types are the exact algorithms of platform/crypto (RFC 5480 §2.1.1.1 named curves,
 *   RSA 2048/3072/4096 with e = 65537, RFC 8410 Ed25519); keyTypeOf() maps a CSR key to one of
 *   them or null (an RSA key of 2500 bits is no key type at all and is refused).
 * - keyPolicyFor() turns a profile into the csr.ts KeyPolicy so that a hostile key is refused
 *   before its signature is checked.
 * - keyEncipherment is only ever listed for RSA keys (RFC 5280 §4.2.1.3, RFC 8446 has no RSA
 *   key transport for EC keys).
 */
import type { KeyAlgorithm } from '../../platform/crypto.ts';
import type { EcCurve, KeyInfo, KeyPolicy } from '../csr.ts';
import type { KeyUsageName } from '../extensions.ts';

export type SanType = 'dns' | 'ip' | 'uri' | 'email';
export type ServerAuthMode = 'never' | 'optional' | 'always';

export interface ProfileDefinition {
  name: string;
  defaultValidityDays: number;
  maxValidityDays: number;
  keyTypes: readonly KeyAlgorithm[];
  /** Extended key usages every certificate of this profile carries (may be empty: no EKU). */
  ekus: readonly string[];
  /** id-kp-serverAuth: never, on request (Grant.serverAuth), or always. */
  serverAuth: ServerAuthMode;
  /** keyUsage bits for RSA keys and for the others (EC, Ed25519). */
  keyUsageRsa: readonly KeyUsageName[];
  keyUsageOther: readonly KeyUsageName[];
  sanTypes: readonly SanType[];
  /** A SAN of this type must be present (admin-client: email). */
  requiredSan?: SanType;
  /** The subject must carry a commonName. */
  requireCommonName: boolean;
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): OCSP responders. */
  ocspNoCheck: boolean;
  /** CRL distribution point + AIA OCSP (relying parties check revocation). */
  revocationPointers: boolean;
}

/** A definition with the deployment's overrides applied and its public URL. */
export interface Profile extends ProfileDefinition {
  publicUrl: string;
}

const CURVE_TYPES: Record<EcCurve, KeyAlgorithm> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521' };

export function keyTypeOf(key: KeyInfo): KeyAlgorithm | null {
  if (key.kind === 'ec') return CURVE_TYPES[key.curve];
  if (key.kind === 'ed25519') return 'Ed25519';
  if (key.bits === 2048 || key.bits === 3072 || key.bits === 4096) return `RSA-${key.bits}` as KeyAlgorithm;
  return null;
}

export function keyPolicyFor(p: Pick<ProfileDefinition, 'keyTypes'>): KeyPolicy {
  const rsaBits = p.keyTypes.filter((k) => k.startsWith('RSA-')).map((k) => Number(k.slice(4)));
  const curves = p.keyTypes.filter((k): k is EcCurve => k.startsWith('P-'));
  return {
    rsa: rsaBits.length ? { minBits: Math.min(...rsaBits), maxBits: Math.max(...rsaBits) } : false,
    ec: curves.length ? curves : false,
    ed25519: p.keyTypes.includes('Ed25519'),
  };
}

/** The keyUsage bits a profile gives a key of this kind. */
export function keyUsageFor(p: ProfileDefinition, kind: KeyInfo['kind']): readonly KeyUsageName[] {
  return kind === 'rsa' ? p.keyUsageRsa : p.keyUsageOther;
}
