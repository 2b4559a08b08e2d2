/**
 * Evidence an auditor can export (`gatehouse evidence`, GET /api/v1/evidence):
 * - inventory coverage: devices per state; share of active devices holding a good certificate
 *   (issued, unexpired, unrevoked); active devices with none.
 * - patch posture: firmware versions per device function; devices whose firmware is unknown or
 *   was not updated within `staleFirmwareDays`.
 * - certificates: issued / revoked by reason / expiring within 30 days.
 * - time to contain: for each quarantine or retirement, the delay until the device was out of the
 *   network — the state change itself (RADIUS rejects from then on), the revocation evidence
 *   (retire), and the NAS's acknowledgement of the Disconnect/CoA when one was recorded.
 * - the audit chain's verification result.
 * Everything is read from the same store the services write; nothing here changes state.
 */
import type { Db } from '../../platform/db/index.ts';
import { auditStore, verifyAuditDb, type AuditEntry, type VerifyResult } from '../../platform/audit/index.ts';
import type { CertificateAuthority, CertRecord } from '../../ca/index.ts';
import type { InventoryService } from '../inventory/service.ts';
import type { Device } from '../inventory/model.ts';

export interface ContainmentCase {
  deviceId: string;
  action: 'quarantine' | 'retire';
  at: string;
  revokedAfterMs: number | null;
  nasAckAfterMs: number | null;
}

export interface EvidenceReport {
  generatedAt: string;
  inventory: { total: number; byState: Record<string, number>; active: number; withGoodCertificate: number; coveragePercent: number; withoutCertificate: string[]; mabOnly: number };
  patchPosture: { staleFirmwareDays: number; byFunction: Record<string, Record<string, number>>; unknownFirmware: string[]; stale: string[] };
  certificates: { issued: number; revokedByReason: Record<string, number>; expiringWithin30Days: number };
  containment: { cases: ContainmentCase[]; medianMs: number | null; maxMs: number | null };
  audit: VerifyResult;
}

async function allCerts(ca: CertificateAuthority, state: 'issued' | 'revoked'): Promise<CertRecord[]> {
  const out: CertRecord[] = [];
  for (let offset = 0; ; offset += 5000) {
    const page = await ca.listCerts({ state, limit: 5000, offset });
    out.push(...page);
    if (page.length < 5000) return out;
  }
}

/** Audit actions the RADIUS bridge writes when a NAS acknowledged a Disconnect or CoA. */
export const NAS_ACK_ACTIONS: ReadonlySet<string> = new Set(['radius.coa.ack', 'radius.disconnect.ack']);

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]! : null);

export async function buildEvidence(d: { db: Db; ca: CertificateAuthority; inventory: InventoryService; now?: Date; staleFirmwareDays?: number }): Promise<EvidenceReport> {
  const now = d.now ?? new Date();
  const staleDays = d.staleFirmwareDays ?? 180;
  const devices: Device[] = [];
  for (let offset = 0; ; offset += 5000) {
    const page = await d.inventory.list({ limit: 5000, offset });
    devices.push(...page);
    if (page.length < 5000) break;
  }
  const issued = await allCerts(d.ca, 'issued');
  const revoked = await allCerts(d.ca, 'revoked');
  const goodByDevice = new Set(issued.filter((c) => c.deviceId && c.notAfter && c.notAfter > now).map((c) => c.deviceId!));
  const active = devices.filter((x) => x.state !== 'retired');
  const byState: Record<string, number> = {};
  for (const x of devices) byState[x.state] = (byState[x.state] ?? 0) + 1;
  const withGood = active.filter((x) => goodByDevice.has(x.id));

  const byFunction: Record<string, Record<string, number>> = {};
  const unknownFirmware: string[] = [];
  const stale: string[] = [];
  for (const x of active) {
    const fw = x.firmwareVersion ?? 'unknown';
    (byFunction[x.function] ??= {})[fw] = (byFunction[x.function]![fw] ?? 0) + 1;
    if (!x.firmwareVersion) unknownFirmware.push(x.id);
    else if (!x.firmwareUpdatedAt || now.getTime() - Date.parse(x.firmwareUpdatedAt) > staleDays * 86_400_000) stale.push(x.id);
  }
  const revokedByReason: Record<string, number> = {};
  for (const c of revoked) revokedByReason[c.revocationReason ?? 'unspecified'] = (revokedByReason[c.revocationReason ?? 'unspecified'] ?? 0) + 1;

  const cases = await containmentCases(d.db);
  const delays = cases.map((c) => c.nasAckAfterMs ?? c.revokedAfterMs ?? 0);
  return {
    generatedAt: now.toISOString(),
    inventory: {
      total: devices.length,
      byState,
      active: active.length,
      withGoodCertificate: withGood.length,
      coveragePercent: active.length ? Math.round((1000 * withGood.length) / active.length) / 10 : 100,
      withoutCertificate: active.filter((x) => !goodByDevice.has(x.id) && !x.mabOnly).map((x) => x.id),
      mabOnly: active.filter((x) => x.mabOnly).length,
    },
    patchPosture: { staleFirmwareDays: staleDays, byFunction, unknownFirmware, stale },
    certificates: { issued: issued.length, revokedByReason, expiringWithin30Days: issued.filter((c) => c.notAfter && c.notAfter.getTime() - now.getTime() < 30 * 86_400_000).length },
    containment: { cases, medianMs: median(delays), maxMs: delays.length ? Math.max(...delays) : null },
    audit: await verifyAuditDb(d.db),
  };
}

/** Pairs each quarantine/retire decision with the evidence that followed it for that device. */
async function containmentCases(db: Db): Promise<ContainmentCase[]> {
  const open = new Map<string, ContainmentCase & { t: number }>();
  const done: ContainmentCase[] = [];
  const finish = (k: string) => {
    const c = open.get(k);
    if (c) {
      const { t: _t, ...rest } = c;
      done.push(rest);
      open.delete(k);
    }
  };
  for await (const e of auditStore.entries(db) as AsyncGenerator<AuditEntry>) {
    const t = Date.parse(e.ts);
    const dev = e.target?.startsWith('device:') ? e.target.slice(7) : ((e.data as { deviceId?: string } | null)?.deviceId ?? null);
    if (!dev) continue;
    if (e.action === 'device.quarantine' || e.action === 'device.retire') {
      finish(dev);
      open.set(dev, { deviceId: dev, action: e.action === 'device.quarantine' ? 'quarantine' : 'retire', at: e.ts, t, revokedAfterMs: null, nasAckAfterMs: null });
      continue;
    }
    const c = open.get(dev);
    if (!c) continue;
    if (e.action === 'device.retire.evidence' && c.revokedAfterMs === null) c.revokedAfterMs = t - c.t;
    if (NAS_ACK_ACTIONS.has(e.action) && c.nasAckAfterMs === null) c.nasAckAfterMs = t - c.t;
  }
  for (const k of [...open.keys()]) finish(k);
  return done;
}
