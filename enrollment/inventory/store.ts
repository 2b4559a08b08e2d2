/** The only knex user of the inventory: rows <-> Device / Segment. */
import type { Db, Tx } from '../../platform/db/index.ts';
import type { Device, DeviceFields, DeviceState, Segment } from './model.ts';

type Q = Db | Tx;

interface DeviceRow {
  id: string;
  name: string;
  function: string;
  owner: string;
  location: string;
  risk_tier: string;
  segment: string;
  manufacturer: string | null;
  model: string | null;
  idevid_serial: string | null;
  firmware_version: string | null;
  dns_name: string | null;
  mab_only: number | boolean;
  state: string;
  registered_at: string;
  approved_at: string | null;
  enrolled_at: string | null;
  quarantined_at: string | null;
  retired_at: string | null;
  updated_at: string;
  firmware_updated_at: string | null;
}

const undef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function toDevice(r: DeviceRow, macs: string[]): Device {
  return {
    id: r.id,
    name: r.name,
    function: r.function,
    owner: r.owner,
    location: r.location,
    riskTier: r.risk_tier as Device['riskTier'],
    segment: r.segment,
    macs,
    manufacturer: undef(r.manufacturer),
    model: undef(r.model),
    idevidSerial: undef(r.idevid_serial),
    firmwareVersion: undef(r.firmware_version),
    dnsName: undef(r.dns_name),
    mabOnly: Boolean(r.mab_only),
    state: r.state as DeviceState,
    registeredAt: r.registered_at,
    approvedAt: r.approved_at,
    enrolledAt: r.enrolled_at,
    quarantinedAt: r.quarantined_at,
    retiredAt: r.retired_at,
    updatedAt: r.updated_at,
    firmwareUpdatedAt: r.firmware_updated_at,
  };
}

function fieldsToRow(d: Partial<DeviceFields>): Record<string, unknown> {
  const map: Record<string, string> = {
    name: 'name',
    function: 'function',
    owner: 'owner',
    location: 'location',
    riskTier: 'risk_tier',
    segment: 'segment',
    manufacturer: 'manufacturer',
    model: 'model',
    idevidSerial: 'idevid_serial',
    firmwareVersion: 'firmware_version',
    dnsName: 'dns_name',
    mabOnly: 'mab_only',
  };
  const row: Record<string, unknown> = {};
  for (const [k, col] of Object.entries(map)) if (k in d) row[col] = (d as Record<string, unknown>)[k] ?? null;
  return row;
}

async function macsOf(q: Q, ids: string[]): Promise<Map<string, string[]>> {
  const m = new Map<string, string[]>();
  if (ids.length === 0) return m;
  for (let i = 0; i < ids.length; i += 500) {
    const rows = (await q('inv_device_macs').whereIn('device_id', ids.slice(i, i + 500)).orderBy('mac')) as Array<{ mac: string; device_id: string }>;
    for (const r of rows) m.set(r.device_id, [...(m.get(r.device_id) ?? []), r.mac]);
  }
  return m;
}

export interface DeviceFilter {
  state?: DeviceState;
  segment?: string;
  function?: string;
  limit?: number;
  offset?: number;
}

export const inventoryStore = {
  async insertDevice(trx: Tx, d: DeviceFields, state: DeviceState, now: string): Promise<void> {
    await trx('inv_devices').insert({ id: d.id, ...fieldsToRow(d), state, registered_at: now, updated_at: now, firmware_updated_at: d.firmwareVersion ? now : null });
    for (const mac of d.macs) await trx('inv_device_macs').insert({ mac, device_id: d.id });
  },
  async updateDevice(trx: Tx, id: string, d: Partial<DeviceFields>, now: string): Promise<void> {
    const row = { ...fieldsToRow(d), updated_at: now } as Record<string, unknown>;
    if ('firmwareVersion' in d) row.firmware_updated_at = now;
    await trx('inv_devices').where({ id }).update(row);
    if (d.macs) {
      await trx('inv_device_macs').where({ device_id: id }).delete();
      for (const mac of d.macs) await trx('inv_device_macs').insert({ mac, device_id: id });
    }
  },
  async setState(trx: Tx, id: string, state: DeviceState, now: string): Promise<void> {
    const stamp: Partial<Record<DeviceState, string>> = {
      approved: 'approved_at',
      enrolled: 'enrolled_at',
      quarantined: 'quarantined_at',
      retired: 'retired_at',
    };
    const row: Record<string, unknown> = { state, updated_at: now };
    if (stamp[state]) row[stamp[state]!] = now;
    await trx('inv_devices').where({ id }).update(row);
  },
  async getDevice(q: Q, id: string, forUpdate = false): Promise<Device | null> {
    let qb = q('inv_devices').where({ id });
    if (forUpdate) qb = qb.forUpdate();
    const r = (await qb.first()) as DeviceRow | undefined;
    if (!r) return null;
    return toDevice(r, (await macsOf(q, [id])).get(id) ?? []);
  },
  async findByMac(q: Q, mac: string): Promise<Device | null> {
    const r = (await q('inv_device_macs').where({ mac }).first()) as { device_id: string } | undefined;
    return r ? this.getDevice(q, r.device_id) : null;
  },
  async findByIdevidSerial(q: Q, serial: string): Promise<Device | null> {
    const r = (await q('inv_devices').where({ idevid_serial: serial }).first()) as DeviceRow | undefined;
    return r ? toDevice(r, (await macsOf(q, [r.id])).get(r.id) ?? []) : null;
  },
  async listDevices(q: Q, f: DeviceFilter = {}): Promise<Device[]> {
    let qb = q('inv_devices').orderBy('id');
    if (f.state) qb = qb.where({ state: f.state });
    if (f.segment) qb = qb.where({ segment: f.segment });
    if (f.function) qb = qb.where({ function: f.function });
    if (f.limit) qb = qb.limit(f.limit);
    if (f.offset) qb = qb.offset(f.offset);
    const rows = (await qb) as DeviceRow[];
    const macs = await macsOf(q, rows.map((r) => r.id));
    return rows.map((r) => toDevice(r, macs.get(r.id) ?? []));
  },
  async countByState(q: Q): Promise<Record<string, number>> {
    const rows = (await q('inv_devices').select('state').count({ n: '*' }).groupBy('state')) as Array<{ state: string; n: number | string }>;
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  },
  async macOwner(q: Q, mac: string): Promise<string | null> {
    const r = (await q('inv_device_macs').where({ mac }).first()) as { device_id: string } | undefined;
    return r?.device_id ?? null;
  },

  async upsertSegment(trx: Tx, s: Omit<Segment, 'createdAt' | 'updatedAt'>, now: string): Promise<'created' | 'updated'> {
    const exists = await trx('inv_segments').where({ name: s.name }).first();
    const row = { vlan_id: s.vlanId, description: s.description, flows: JSON.stringify(s.flows), updated_at: now };
    if (exists) {
      await trx('inv_segments').where({ name: s.name }).update(row);
      return 'updated';
    }
    await trx('inv_segments').insert({ name: s.name, ...row, created_at: now });
    return 'created';
  },
  async getSegment(q: Q, name: string): Promise<Segment | null> {
    const r = await q('inv_segments').where({ name }).first();
    return r ? toSegment(r) : null;
  },
  async listSegments(q: Q): Promise<Segment[]> {
    return ((await q('inv_segments').orderBy('name')) as SegmentRow[]).map(toSegment);
  },
  async deleteSegment(trx: Tx, name: string): Promise<number> {
    return trx('inv_segments').where({ name }).delete();
  },
  async devicesInSegment(q: Q, name: string): Promise<number> {
    const r = (await q('inv_devices').where({ segment: name }).whereNot({ state: 'retired' }).count({ n: '*' }).first()) as { n: number | string };
    return Number(r.n);
  },
};

interface SegmentRow {
  name: string;
  vlan_id: number;
  description: string;
  flows: string;
  created_at: string;
  updated_at: string;
}
function toSegment(r: SegmentRow): Segment {
  return { name: r.name, vlanId: Number(r.vlan_id), description: r.description, flows: JSON.parse(r.flows) as Segment['flows'], createdAt: r.created_at, updatedAt: r.updated_at };
}
