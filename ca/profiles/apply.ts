/**
 * applyProfile: (profile, grant, CSR key, issuer, now) -> validity, subject and extensions.
 * Pure: no I/O, no clock, no randomness.
 *
 * Rules enforced:
 * - Names come from the grant, never from the CSR (ARCHITECTURE habit 3); they are encoded by
 *   ca/asn1 (RFC 5280 §4.1.2.4, §4.2.1.6); a name it refuses (control characters, bad DNS
 *   label ...) is ERR_PROFILE_POLICY. Only the profile's SAN types are allowed; a required
 *   SAN type (admin-client email) must be present.
 * - Empty subject only with SANs, and then subjectAltName is critical (RFC 5280 §4.1.2.6,
 *   §4.2.1.6); profiles that need a commonName get ERR_PROFILE_POLICY without one.
 * - Key type must be one of the profile's (ERR_KEY_POLICY).
 * - Validity (RFC 5280 §4.1.2.5): whole seconds; notBefore = now - 5 min (clock skew), never
 *   before the issuer's notBefore; notAfter = now + requested days (default from the profile),
 *   capped by the profile's maximum and by the issuer's notAfter (a certificate never outlives
 *   its issuer). An issuer outside its own validity -> ERR_ISSUER_UNAVAILABLE.
 * - Extensions, in this order: basicConstraints cA FALSE (critical), keyUsage (critical),
 *   extKeyUsage, SKI (SHA-1 of the key BIT STRING), AKI (issuer SKI), subjectAltName,
 *   cRLDistributionPoints, authorityInfoAccess, ocsp-nocheck.
 */
import { AppError, isAppError } from '../../platform/errors.ts';
import { encodeGeneralNames, encodeName, formatName, OID } from '../asn1/index.ts';
import { subjectKeyIdentifier, type KeyInfo } from '../csr.ts';
import * as ext from '../extensions.ts';
import type { Grant, SanSpec } from '../types.ts';
import { keyTypeOf, keyUsageFor, type Profile, type SanType } from './types.ts';

export const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export interface CsrKey {
  key: KeyInfo;
  spkiDer: Buffer;
}

export interface ProfileIssuer {
  id: string;
  ski: Buffer;
  notBefore: Date;
  notAfter: Date;
}

export interface AppliedProfile {
  notBefore: Date;
  notAfter: Date;
  subjectDer: Buffer;
  /** RFC 4514 form of the subject, for the store and the audit log. */
  subject: string;
  sans: SanSpec;
  ski: Buffer;
  extensions: ext.CertExtension[];
}

const policy = (msg: string, cause?: unknown): AppError => new AppError('ERR_PROFILE_POLICY', msg, cause === undefined ? {} : { cause });

function encodeOrPolicy<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isAppError(e, 'ERR_BAD_INPUT')) throw policy(`${what}: ${e.message}`, e);
    throw e;
  }
}

function sansOf(profile: Profile, sans: SanSpec | undefined): SanSpec {
  const out: SanSpec = {};
  if (sans !== undefined && (typeof sans !== 'object' || sans === null)) throw policy('grant SANs must be an object');
  for (const [k, v] of Object.entries(sans ?? {})) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    if (!(profile.sanTypes as readonly string[]).includes(k)) throw policy(`profile ${profile.name} does not allow ${k} SANs`);
    if (!Array.isArray(v)) throw policy(`SAN ${k} must be a list`);
    out[k as SanType] = [...(v as string[])];
  }
  if (profile.requiredSan && !out[profile.requiredSan]) throw policy(`profile ${profile.name} requires a ${profile.requiredSan} SAN`);
  return out;
}

function validity(profile: Profile, grant: Grant, issuer: ProfileIssuer, now: Date): { notBefore: Date; notAfter: Date } {
  const days = grant.validityDays ?? profile.defaultValidityDays;
  if (!Number.isInteger(days) || days < 1) throw policy('validityDays must be a positive integer');
  const t = Math.floor(now.getTime() / 1000) * 1000;
  const notBefore = Math.max(t - BACKDATE_MS, issuer.notBefore.getTime());
  const notAfter = Math.min(t + Math.min(days, profile.maxValidityDays) * DAY_MS, Math.floor(issuer.notAfter.getTime() / 1000) * 1000);
  if (t < issuer.notBefore.getTime() || notAfter <= t) throw new AppError('ERR_ISSUER_UNAVAILABLE', `issuer ${issuer.id} is not within its validity period`);
  return { notBefore: new Date(notBefore), notAfter: new Date(notAfter) };
}

export function applyProfile(profile: Profile, grant: Grant, csr: CsrKey, issuer: ProfileIssuer, now: Date): AppliedProfile {
  const keyType = keyTypeOf(csr.key);
  if (!keyType || !profile.keyTypes.includes(keyType)) throw new AppError('ERR_KEY_POLICY', `profile ${profile.name} does not allow ${keyType ?? 'this'} key`);
  if (!grant || typeof grant.subject !== 'object' || grant.subject === null) throw policy('grant has no subject');
  const sans = sansOf(profile, grant.sans);
  const hasSan = Object.keys(sans).length > 0;
  const subjectDer = encodeOrPolicy('subject', () => encodeName(grant.subject));
  const emptySubject = subjectDer.length === 2;
  if (emptySubject && !hasSan) throw policy('a certificate needs a subject or a subjectAltName');
  if (profile.requireCommonName && !grant.subject.commonName) throw policy(`profile ${profile.name} requires a commonName`);
  if (grant.serverAuth && profile.serverAuth === 'never') throw policy(`profile ${profile.name} does not allow serverAuth`);
  const { notBefore, notAfter } = validity(profile, grant, issuer, now);

  const ski = subjectKeyIdentifier(csr.spkiDer);
  const ekus = [...profile.ekus];
  if (profile.serverAuth === 'always' || (profile.serverAuth === 'optional' && grant.serverAuth)) ekus.unshift(OID.kpServerAuth);
  const extensions: ext.CertExtension[] = [ext.basicConstraints(false), ext.keyUsage(keyUsageFor(profile, csr.key.kind))];
  if (ekus.length) extensions.push(ext.extKeyUsage(ekus));
  extensions.push(ext.subjectKeyId(ski), ext.authorityKeyId(issuer.ski));
  if (hasSan) extensions.push(ext.subjectAltName(encodeOrPolicy('subjectAltName', () => encodeGeneralNames(sans)), emptySubject));
  const urls = ext.issuerUrls(profile.publicUrl, issuer.id);
  if (profile.revocationPointers) {
    extensions.push(ext.crlDistributionPoints([urls.crl]), ext.authorityInfoAccess({ ocsp: [urls.ocsp], caIssuers: [urls.caIssuers] }));
  } else {
    extensions.push(ext.authorityInfoAccess({ caIssuers: [urls.caIssuers] }));
  }
  if (profile.ocspNoCheck) extensions.push(ext.ocspNoCheck());
  return { notBefore, notAfter, subjectDer, subject: formatName(subjectDer), sans, ski, extensions };
}
