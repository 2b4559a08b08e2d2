/**
 * Inventory service: devices and segments, lifecycle transitions, every change audited in the
 * same transaction and announced on the bus ('device.changed') so RADIUS and the broker react.
 *
 * Rules:
 * - A device's segment must exist; a segment with live devices cannot be deleted.
 * - A MAC address belongs to at most one device.
 * - Transitions follow model.ts; quarantine and retire publish events at commit.
 */
import { AppError } from '../../platform/errors.ts';
import { isUniqueViolation, withTx, type Db, type Tx } from '../../platform/db/index.ts';
import type { AuditLog } from '../../platform/audit/index.ts';
import type { EventBus } from '../../platform/events.ts';
import { assertTransition, deviceInput, deviceUpdate, parseOrThrow, segmentInput, type Device, type DeviceInput, type DeviceState, type DeviceUpdate, type Segment, type SegmentInput } from './model.ts';
import { inventoryStore as store, type DeviceFilter } from './store.ts';

export interface InventoryDeps {
  db: Db;
  audit: AuditLog;
  bus: EventBus;
  now?: () => Date;
}

export class InventoryService {
  private readonly now: () => Date;
  constructor(private readonly d: InventoryDeps) {
    this.now = d.now ?? (() => new Date());
  }

  // ---- segments
  async putSegment(input: SegmentInput, actor: string): Promise<Segment> {
    const s = parseOrThrow(segmentInput, input);
    await withTx(this.d.db, async (trx) => {
      const how = await store.upsertSegment(trx, s, this.now().toISOString());
      await this.d.audit.append(trx, { actor, action: `segment.${how === 'created' ? 'add' : 'update'}`, target: `segment:${s.name}`, data: s });
    });
    return (await store.getSegment(this.d.db, s.name))!;
  }
  async deleteSegment(name: string, actor: string): Promise<void> {
    await withTx(this.d.db, async (trx) => {
      if ((await store.devicesInSegment(trx, name)) > 0) throw new AppError('ERR_CONFLICT', `segment ${name} still has devices`);
      if ((await store.deleteSegment(trx, name)) === 0) throw new AppError('ERR_NOT_FOUND', `no segment ${name}`);
      await this.d.audit.append(trx, { actor, action: 'segment.delete', target: `segment:${name}` });
    });
  }
  segments(): Promise<Segment[]> {
    return store.listSegments(this.d.db);
  }
  segment(name: string): Promise<Segment | null> {
    return store.getSegment(this.d.db, name);
  }

  // ---- devices
  async addDevice(input: DeviceInput, actor: string): Promise<Device> {
    const dev = parseOrThrow(deviceInput, input);
    await withTx(this.d.db, async (trx) => {
      await this.insertValidated(trx, dev, actor);
    });
    await this.d.bus.emitLocal('device.changed', { deviceId: dev.id, state: 'registered', segment: dev.segment });
    return (await this.get(dev.id))!;
  }

  /** Inserts an already-validated device inside the caller's transaction (used by bulk import). */
  async insertValidated(trx: Tx, dev: ReturnType<typeof deviceInput.parse>, actor: string): Promise<void> {
    if (!(await store.getSegment(trx, dev.segment))) throw new AppError('ERR_BAD_INPUT', `segment: no segment named ${dev.segment}`);
    for (const mac of dev.macs) {
      const owner = await store.macOwner(trx, mac);
      if (owner) throw new AppError('ERR_CONFLICT', `macs: ${mac} already belongs to device ${owner}`);
    }
    try {
      await store.insertDevice(trx, dev, 'registered', this.now().toISOString());
    } catch (e) {
      if (isUniqueViolation(e)) throw new AppError('ERR_CONFLICT', `device ${dev.id} (or its IDevID serial) already exists`, { cause: e });
      throw e;
    }
    await this.d.audit.append(trx, { actor, action: 'device.add', target: `device:${dev.id}`, data: dev });
    await this.d.bus.notifyTx(trx, 'device.changed', { deviceId: dev.id, state: 'registered', segment: dev.segment });
  }

  async updateDevice(id: string, patch: DeviceUpdate, actor: string): Promise<Device> {
    const p = parseOrThrow(deviceUpdate, patch);
    await withTx(this.d.db, async (trx) => {
      const cur = await this.mustGet(trx, id, true);
      if (cur.state === 'retired') throw new AppError('ERR_DEVICE_STATE', `device ${id} is retired`);
      if (p.segment && !(await store.getSegment(trx, p.segment))) throw new AppError('ERR_BAD_INPUT', `segment: no segment named ${p.segment}`);
      for (const mac of p.macs ?? []) {
        const owner = await store.macOwner(trx, mac);
        if (owner && owner !== id) throw new AppError('ERR_CONFLICT', `macs: ${mac} already belongs to device ${owner}`);
      }
      await store.updateDevice(trx, id, p, this.now().toISOString());
      await this.d.audit.append(trx, { actor, action: 'device.update', target: `device:${id}`, data: { before: pick(cur, Object.keys(p)), after: p } });
      await this.d.bus.notifyTx(trx, 'device.changed', { deviceId: id, state: cur.state, segment: p.segment ?? cur.segment });
    });
    const d = (await this.get(id))!;
    this.d.bus.emitLocal('device.changed', { deviceId: id, state: d.state, segment: d.segment });
    return d;
  }

  /** Moves a device through its lifecycle; `data` is recorded as evidence. */
  async transition(id: string, to: DeviceState, actor: string, data?: Record<string, unknown>, trxIn?: Tx): Promise<Device> {
    const run = async (trx: Tx) => {
      const cur = await this.mustGet(trx, id, true);
      assertTransition(cur.state, to);
      await store.setState(trx, id, to, this.now().toISOString());
      await this.d.audit.append(trx, { actor, action: `device.${to === 'approved' && cur.state === 'quarantined' ? 'release' : verb(to)}`, target: `device:${id}`, data: { from: cur.state, to, ...data } });
      await this.d.bus.notifyTx(trx, 'device.changed', { deviceId: id, state: to, segment: cur.segment });
      return cur;
    };
    const cur = trxIn ? await run(trxIn) : await withTx(this.d.db, run);
    if (!trxIn) this.d.bus.emitLocal('device.changed', { deviceId: id, state: to, segment: cur.segment });
    return trxIn ? { ...cur, state: to } : (await this.get(id))!;
  }

  approve(id: string, actor: string) {
    return this.transition(id, 'approved', actor);
  }
  quarantine(id: string, actor: string, reason: string) {
    return this.transition(id, 'quarantined', actor, { reason });
  }

  get(id: string): Promise<Device | null> {
    return store.getDevice(this.d.db, id);
  }
  async mustGet(q: Db | Tx, id: string, forUpdate = false): Promise<Device> {
    const d = await store.getDevice(q, id, forUpdate);
    if (!d) throw new AppError('ERR_DEVICE_UNKNOWN', `no device ${id}`);
    return d;
  }
  byMac(mac: string): Promise<Device | null> {
    return store.findByMac(this.d.db, mac);
  }
  byIdevidSerial(serial: string): Promise<Device | null> {
    return store.findByIdevidSerial(this.d.db, serial);
  }
  list(filter: DeviceFilter = {}): Promise<Device[]> {
    return store.listDevices(this.d.db, filter);
  }
  countByState(): Promise<Record<string, number>> {
    return store.countByState(this.d.db);
  }
}

function verb(s: DeviceState): string {
  return { registered: 'register', approved: 'approve', enrolled: 'enroll', quarantined: 'quarantine', retired: 'retire' }[s];
}

function pick(o: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]));
}
