/**
 * radius-bridge: 802.1X for IoT fleets — RADIUS auth/accounting over UDP and RadSec, EAP-TLS and
 * MAB, VLAN policy, live accounting sessions and CoA/Disconnect on revocation or quarantine.
 * Other folders (the CLI) import radius-bridge only from here.
 *
 * Rules (details and RFC sections in each file):
 * - server/: NAS by address/CIDR, duplicate detection, constant-time verification, silent
 *   discard + counters (RFC 2865 §3, RFC 5080 §2.2.2, RFC 3579 §3.2, BlastRADIUS), Status-Server
 *   (RFC 5997).
 * - auth/: EAP-TLS keyed by State (RFC 3579, RFC 5216, RFC 9190), MAB, live revocation and
 *   inventory checks at every Accept. policy/: the pure VLAN decision and RFC 3580 attributes.
 * - accounting/ (RFC 2866), coa/ (RFC 5176), radsec/ (RFC 6614).
 */
export { createRadiusBridge, type RadiusBridge, type RadiusBridgeOptions, type RadiusAddresses } from './bridge.ts';
export { radiusMigrations } from './migrations.ts';
export {
  vlanDecision,
  type VlanDecision,
  type VlanInput,
  type DeviceFacts,
  type CertFacts,
  type Method,
} from './policy/vlan.ts';
export type { InventoryLike } from './auth/directory.ts';
export type { RequestContext, PortKind } from './server/handler.ts';
export type { NasClient } from './server/nas.ts';
export type { ServerTls } from './server/certificate.ts';
