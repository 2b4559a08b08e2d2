/**
 * RADIUS bridge configuration (owned by radius-bridge/).
 *
 * Rules:
 * - Listeners: auth UDP 1812 and accounting UDP 1813 (RFC 2865 §3, RFC 2866 §3), RadSec TCP/TLS
 *   2083 (RFC 6614 §2.1); every address in `hosts` is bound (IPv4 and IPv6, loopback by default).
 * - NAS clients are matched by address or CIDR (most specific wins); each has its own shared
 *   secret as a secret reference ({file}|{env}|{value}, never a default; RFC 2865 §3). A UDP client
 *   must have a secret; a RadSec client uses the fixed secret "radsec" (RFC 6614 §2.3).
 * - requireMessageAuthenticator defaults to true per NAS (BlastRADIUS, CVE-2024-3596);
 *   limitProxyState is the fallback for a NAS that cannot send it yet.
 * - CoA vendor profile per NAS: disconnect | coa-reauth | coa-bounce-port (RFC 5176 §2, §3.2), sent
 *   to port 3799 by default (RFC 5176 §3) with retries and exponential backoff.
 * - Policy (fail closed by default): quarantined -> reject (or a quarantine VLAN), unknown MAC ->
 *   reject (or a guest VLAN), MAB-only devices -> their segment VLAN (or a restricted MAB VLAN),
 *   MAB from a device that can do 802.1X -> reject (or the restricted VLAN). VLANs 1..4094.
 * - EAP-TLS caps: sessions, rounds, bytes, lifetime, largest EAP packet (RFC 5216 §2.1.5).
 */
import { z } from 'zod';
import { secretRef } from '../secret.ts';

const vlan = z.number().int().min(1).max(4094);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
function isAddressOrCidr(s: string): boolean {
  const [addr = '', prefix, extra] = s.split('/');
  if (extra !== undefined) return false;
  const v4 = IPV4.test(addr);
  const v6 = !v4 && /^[0-9a-fA-F:.]+$/.test(addr) && addr.includes(':') && URL.canParse(`http://[${addr}]/`);
  if (!v4 && !v6) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (v4 ? 32 : 128);
}

const coaSection = z.strictObject({
  /** What the NAS understands (RFC 5176): Disconnect-Request, or CoA with a vendor command. */
  mode: z.enum(['disconnect', 'coa-reauth', 'coa-bounce-port']).default('disconnect'),
  port: z.number().int().min(1).max(65535).default(3799),
  /** Where to send CoA when it is not the address the NAS's accounting came from. */
  address: z
    .string()
    .refine((s) => isAddressOrCidr(s) && !s.includes('/'), 'an IP address')
    .optional(),
});

const nasClient = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (1..64)'),
    /** IP address or CIDR (e.g. 10.1.0.0/16, 2001:db8::/48). */
    address: z.string().refine(isAddressOrCidr, 'an IP address or CIDR'),
    transport: z.enum(['udp', 'radsec']).default('udp'),
    secret: secretRef.optional(),
    /** RadSec: the client certificate's commonName or a DNS SAN must equal this. */
    certName: z.string().min(1).max(253).optional(),
    requireMessageAuthenticator: z.boolean().default(true),
    limitProxyState: z.boolean().default(true),
    /** Only these segments may be placed on this NAS (all when absent). */
    segments: z.array(z.string().min(1).max(64)).optional(),
    coa: coaSection.prefault({}),
  })
  .refine((n) => n.transport === 'radsec' || n.secret !== undefined, {
    message: 'a UDP NAS client needs a secret',
    path: ['secret'],
  });

const policySection = z
  .strictObject({
    quarantine: z.enum(['reject', 'vlan']).default('reject'),
    quarantineVlan: vlan.optional(),
    unknownMac: z.enum(['reject', 'guest']).default('reject'),
    guestVlan: vlan.optional(),
    /** VLAN for MAB-only devices: their segment's, or the restricted MAB VLAN. */
    mab: z.enum(['segment', 'restricted']).default('segment'),
    /** MAB from a device that is not mab-only (it should do 802.1X). */
    mabFromEapDevice: z.enum(['reject', 'restricted']).default('reject'),
    restrictedVlan: vlan.optional(),
    /** Inventory lookups are cached this long (and dropped at once on device.changed); 0 = off. */
    cacheTtlMs: z.number().int().min(0).max(60_000).default(5_000),
    /** An unchanged decision for the same subject is audited again after this long. */
    auditRepeatMinutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .default(60),
  })
  .refine((p) => p.quarantine !== 'vlan' || p.quarantineVlan !== undefined, {
    message: 'quarantine: vlan needs quarantineVlan',
    path: ['quarantineVlan'],
  })
  .refine((p) => p.unknownMac !== 'guest' || p.guestVlan !== undefined, {
    message: 'unknownMac: guest needs guestVlan',
    path: ['guestVlan'],
  })
  .refine((p) => (p.mab !== 'restricted' && p.mabFromEapDevice !== 'restricted') || p.restrictedVlan !== undefined, {
    message: 'a restricted MAB policy needs restrictedVlan',
    path: ['restrictedVlan'],
  });

const eapSection = z.strictObject({
  maxSessions: z.number().int().min(1).max(1_000_000).default(4096),
  maxRounds: z.number().int().min(4).max(1000).default(50),
  maxBytesIn: z
    .number()
    .int()
    .min(4096)
    .max(16 * 1024 * 1024)
    .default(128 * 1024),
  lifetimeMs: z.number().int().min(1000).max(600_000).default(30_000),
  /** Largest EAP packet sent; Framed-MTU can only lower it (RFC 3580 §3.10). */
  maxEapPacket: z.number().int().min(128).max(4000).default(1000),
  minTlsVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
});

export const radiusSection = z.strictObject({
  enabled: z.boolean().default(false),
  hosts: z
    .array(z.string().refine((s) => isAddressOrCidr(s) && !s.includes('/'), 'an IP address'))
    .min(1)
    .default(['127.0.0.1', '::1']),
  authPort: z.number().int().min(0).max(65535).default(1812),
  acctPort: z.number().int().min(0).max(65535).default(1813),
  radsec: z
    .strictObject({
      enabled: z.boolean().default(false),
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(2083),
      idleTimeoutMs: z.number().int().min(1000).default(300_000),
    })
    .prefault({}),
  /** Names in the RADIUS server certificate (profile radius-server). */
  serverNames: z.array(z.string().min(1).max(253)).min(1).default(['radius.gatehouse.local']),
  clients: z.array(nasClient).default([]),
  policy: policySection.prefault({}),
  eap: eapSection.prefault({}),
  coa: z
    .strictObject({
      timeoutMs: z.number().int().min(50).max(60_000).default(1_000),
      retries: z.number().int().min(0).max(10).default(3),
      backoffFactor: z.number().min(1).max(10).default(2),
      maxTimeoutMs: z.number().int().min(50).max(300_000).default(8_000),
    })
    .prefault({}),
  /** Duplicate detection (RFC 5080 §2.2.2): replies are kept this long for retransmits. */
  replyCacheMs: z.number().int().min(0).max(60_000).default(5_000),
  replyCacheMax: z.number().int().min(0).max(1_000_000).default(65_536),
  /** A live accounting session not heard of for this long is dropped. */
  accountingStaleHours: z
    .number()
    .min(0.01)
    .max(24 * 30)
    .default(48),
});
export type RadiusConfig = z.infer<typeof radiusSection>;
export type RadiusNasConfig = RadiusConfig['clients'][number];
export type RadiusPolicyConfig = RadiusConfig['policy'];
