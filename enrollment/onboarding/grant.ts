/**
 * Device -> Grant. The inventory decides the names, never the CSR (ARCHITECTURE habit 3):
 *   subject: CN=<device id>, O=<enrollment.subject.organization>, OU=<segment>
 *   SANs:    URI urn:gatehouse:device:<id>; DNS <dnsName> or <id>.<dnsDomain> when configured
 * Validity: enrollment.validityDays, capped again by the profile and the issuer.
 */
import type { EnrollmentConfig } from '../../platform/config/index.ts';
import type { Grant } from '../../ca/index.ts';
import type { Device } from '../inventory/model.ts';

export const deviceUri = (id: string) => `urn:gatehouse:device:${id}`;
const LDH = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function deviceGrant(device: Device, cfg: EnrollmentConfig, opts: { profile?: string; serverAuth?: boolean; actor: string }): Grant {
  const dns: string[] = [];
  if (device.dnsName) dns.push(device.dnsName);
  else if (cfg.subject.dnsDomain && LDH.test(`${device.id}.${cfg.subject.dnsDomain}`)) dns.push(`${device.id}.${cfg.subject.dnsDomain}`.toLowerCase());
  return {
    profile: opts.profile ?? cfg.defaultProfile,
    subject: { commonName: device.id, organization: cfg.subject.organization, organizationalUnit: device.segment },
    sans: { uri: [deviceUri(device.id)], ...(dns.length ? { dns } : {}) },
    validityDays: cfg.validityDays,
    serverAuth: opts.serverAuth ?? false,
    deviceId: device.id,
    actor: opts.actor,
  };
}

/** Extracts the device id from a certificate we issued (URI SAN urn:gatehouse:device:<id>). */
export function deviceIdFromSans(uris: readonly string[]): string | null {
  for (const u of uris) if (u.startsWith('urn:gatehouse:device:')) return u.slice('urn:gatehouse:device:'.length) || null;
  return null;
}
