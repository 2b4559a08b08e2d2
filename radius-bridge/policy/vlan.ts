/**
 * The VLAN decision: a pure function of (device, segment, certificate, NAS, method) -> verdict.
 *
 * Rules (ARCHITECTURE habit 5: a denial is data with stable reasons; habit 6: fail closed):
 * - EAP-TLS: the certificate's live status must be good (revoked / unknown -> deny), it must name a
 *   device (URI SAN urn:gatehouse:device:<id>) that the inventory knows, and the status record's
 *   device must be that device.
 * - MAB (RFC 3580 §3.1 is silent on it; it is the vendor practice of Calling-Station-Id lookups): an
 *   unknown MAC is rejected or sent to the guest VLAN by policy; a device that can do 802.1X
 *   (not mab-only) is rejected or restricted by policy, so a cloned MAC cannot borrow its segment.
 * - Both: retired -> deny; quarantined -> deny or the quarantine VLAN by policy; registered (not
 *   yet approved) -> deny; approved / enrolled -> the segment's VLAN (MAB: or the restricted VLAN
 *   by policy). A NAS limited to some segments refuses the others. A missing segment -> deny.
 * - The VLAN is 1..4094 (IEEE 802.1Q); it goes out as RFC 3580 §3.31 tunnel attributes:
 *   Tunnel-Type = VLAN (13), Tunnel-Medium-Type = IEEE-802 (6), Tunnel-Private-Group-Id = the VLAN id
 *   as decimal text, all tag 0 (RFC 2868 §3.1, §3.2, §3.6), precomputed in wire form.
 * - User-Name in the Accept is the device id, so the NAS reports it in accounting (RFC 2865 §5.1);
 *   Class = "gatehouse:<device id>" is echoed by the NAS in accounting (RFC 2865 §5.25) and ties a
 *   live session to its device for CoA even when the NAS rewrites User-Name.
 */
import type { RadiusConfig } from '../../platform/config/index.ts';
import type { RadiusAttribute } from '../codec/index.ts';

export type Method = 'eap-tls' | 'mab';
export type PolicyConfig = RadiusConfig['policy'];

export interface DeviceFacts {
  id: string;
  state: 'registered' | 'approved' | 'enrolled' | 'quarantined' | 'retired';
  segment: string;
  mabOnly: boolean;
}

export interface CertFacts {
  status: 'good' | 'revoked' | 'unknown';
  /** Device id from the URI SAN. */
  sanDeviceId: string | null;
  /** Device id the CA recorded at issuance. */
  recordDeviceId: string | null;
}

export interface VlanInput {
  method: Method;
  device: DeviceFacts | null;
  /** The device's segment as the inventory has it, null when missing. */
  segment: { name: string; vlanId: number } | null;
  cert: CertFacts | null;
  nas: { name: string; segments?: ReadonlySet<string> | undefined };
  policy: PolicyConfig;
}

export interface VlanDecision {
  allow: boolean;
  vlan: number | null;
  reasons: string[];
}

const deny = (...reasons: string[]): VlanDecision => ({ allow: false, vlan: null, reasons });
const allow = (vlan: number | undefined, ...reasons: string[]): VlanDecision =>
  vlan === undefined ? deny(...reasons, 'vlan-not-configured') : { allow: true, vlan, reasons };

function certCheck(cert: CertFacts | null, device: DeviceFacts | null): VlanDecision | null {
  if (!cert) return deny('cert-missing');
  if (cert.status === 'revoked') return deny('cert-revoked');
  if (cert.status !== 'good') return deny('cert-unknown');
  if (!cert.sanDeviceId) return deny('cert-no-device');
  if (cert.recordDeviceId !== null && cert.recordDeviceId !== cert.sanDeviceId) return deny('cert-device-mismatch');
  if (!device) return deny('device-unknown');
  if (device.id !== cert.sanDeviceId) return deny('cert-device-mismatch');
  return null;
}

export function vlanDecision(input: VlanInput): VlanDecision {
  const { method, device, segment, nas, policy } = input;
  if (method === 'eap-tls') {
    const bad = certCheck(input.cert, device);
    if (bad) return bad;
  } else if (!device) {
    return policy.unknownMac === 'guest' ? allow(policy.guestVlan, 'mac-unknown', 'guest-vlan') : deny('mac-unknown');
  }
  const d = device as DeviceFacts;
  if (d.state === 'retired') return deny('device-retired');
  if (d.state === 'quarantined') {
    return policy.quarantine === 'vlan'
      ? allow(policy.quarantineVlan, 'device-quarantined', 'quarantine-vlan')
      : deny('device-quarantined');
  }
  if (d.state !== 'approved' && d.state !== 'enrolled') return deny('device-not-approved');
  if (method === 'mab' && !d.mabOnly) {
    return policy.mabFromEapDevice === 'restricted'
      ? allow(policy.restrictedVlan, 'mab', 'device-not-mab-only', 'restricted-vlan')
      : deny('device-not-mab-only');
  }
  if (!segment || segment.name !== d.segment) return deny('segment-unknown');
  if (nas.segments && !nas.segments.has(segment.name)) return deny('segment-not-allowed-on-nas');
  if (method === 'mab' && policy.mab === 'restricted') return allow(policy.restrictedVlan, 'mab', 'restricted-vlan');
  return allow(segment.vlanId, method, `segment:${segment.name}`);
}

export const CLASS_PREFIX = 'gatehouse:';

const TUNNEL_TYPE_VLAN: RadiusAttribute = { type: 64, tag: 0, value: Buffer.from([0, 0, 13]) };
const TUNNEL_MEDIUM_802: RadiusAttribute = { type: 65, tag: 0, value: Buffer.from([0, 0, 6]) };
const vlanCache = new Map<number, readonly RadiusAttribute[]>();

/**
 * The three RFC 3580 VLAN attributes in wire form (tag 0; a Tunnel-Private-Group-Id starting with
 * a digit needs no tag octet, RFC 2868 §3.6). Shared frozen arrays: callers must not mutate them.
 */
export function vlanAttributes(vlan: number): readonly RadiusAttribute[] {
  let attrs = vlanCache.get(vlan);
  if (!attrs) {
    attrs = Object.freeze([
      TUNNEL_TYPE_VLAN,
      TUNNEL_MEDIUM_802,
      { type: 81, tag: 0, value: Buffer.from(String(vlan)) },
    ]);
    if (vlanCache.size < 4096) vlanCache.set(vlan, attrs);
  }
  return attrs;
}

/** Accept attributes (wire form) for an allowed decision about `deviceId` (null: unknown MAB guest). */
export function acceptAttributes(vlan: number, deviceId: string | null): RadiusAttribute[] {
  const out: RadiusAttribute[] = [...vlanAttributes(vlan)];
  if (deviceId) {
    out.push({ type: 1, value: Buffer.from(deviceId) }, { type: 25, value: Buffer.from(`${CLASS_PREFIX}${deviceId}`) });
  }
  return out;
}

/** Device id from a Class attribute we set, or null. */
export function deviceIdFromClass(value: Buffer | undefined): string | null {
  if (!value) return null;
  const s = value.toString('utf8');
  return s.startsWith(CLASS_PREFIX) && s.length > CLASS_PREFIX.length ? s.slice(CLASS_PREFIX.length) : null;
}
