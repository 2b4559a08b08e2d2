/**
 * Inventory lookups for access decisions, with a short cache on the hot path.
 *
 * Rules:
 * - Reads devices by MAC (normalised by the inventory, model.ts) and by id, and segments by name.
 * - Results (including "not found") are cached for `ttlMs`; every 'device.changed' and 'bus.resync'
 *   event (local or from another node) drops the device entry, every MAC entry and every segment
 *   entry at once, so a quarantine or retirement is seen by the next request. `ttlMs` 0 = no cache.
 * - Concurrent lookups of one key share one query; a failed query is not cached and propagates
 *   (the caller fails closed: no Accept when the inventory cannot answer).
 * - Bounded: each map is cleared when it reaches `max` entries.
 * - certificateFacts(): the facts of an EAP-TLS Accept. The leaf's status is read live from the CA
 *   store (ca.statusOfCert, never cached: RFC 5216 §5.3 leaves revocation to the server); a store
 *   failure yields `status-unavailable`, never good. The device id comes from the URI SAN
 *   urn:gatehouse:device:<id> of the stored (= presented, same fingerprint) certificate.
 */
import type { CertificateAuthority } from '../../ca/index.ts';
import { deviceIdFromSans } from '../../enrollment/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { CertFacts, DeviceFacts } from '../policy/vlan.ts';

/** What the bridge needs of enrollment's InventoryService (which satisfies it). */
export interface InventoryLike {
  byMac(mac: string): Promise<DeviceFacts | null>;
  get(id: string): Promise<(DeviceFacts & { quarantinedAt?: string | null; retiredAt?: string | null }) | null>;
  segment(name: string): Promise<{ name: string; vlanId: number } | null>;
}

export interface Segmentish {
  name: string;
  vlanId: number;
}

interface Entry<T> {
  value: Promise<T>;
  expires: number;
}

class TtlMap<T> {
  readonly #map = new Map<string, Entry<T>>();
  constructor(
    private readonly ttl: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttl <= 0) return load();
    const hit = this.#map.get(key);
    const now = this.now();
    if (hit && hit.expires > now) return hit.value;
    if (this.#map.size >= this.max) this.#map.clear();
    const value = load();
    const entry = { value, expires: now + this.ttl };
    this.#map.set(key, entry);
    value.catch(() => {
      if (this.#map.get(key) === entry) this.#map.delete(key);
    });
    return value;
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}

export class DeviceDirectory {
  readonly #macs: TtlMap<DeviceFacts | null>;
  readonly #ids: TtlMap<DeviceFacts | null>;
  readonly #segments: TtlMap<Segmentish | null>;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(
    private readonly inventory: InventoryLike,
    opts: { ttlMs: number; max?: number; now?: () => number; bus?: EventBus },
  ) {
    const now = opts.now ?? Date.now;
    const max = opts.max ?? 100_000;
    this.#macs = new TtlMap(opts.ttlMs, max, now);
    this.#ids = new TtlMap(opts.ttlMs, max, now);
    this.#segments = new TtlMap(opts.ttlMs, 4096, now);
    if (opts.bus) {
      this.#unsubscribe.push(opts.bus.subscribe('device.changed', (e) => this.invalidate(e.deviceId)));
      this.#unsubscribe.push(opts.bus.subscribe('bus.resync', () => this.invalidate()));
    }
  }

  byMac(mac: string): Promise<DeviceFacts | null> {
    return this.#macs.get(mac, () => this.inventory.byMac(mac).then(facts));
  }

  byId(id: string): Promise<DeviceFacts | null> {
    return this.#ids.get(id, () => this.inventory.get(id).then(facts));
  }

  segment(name: string): Promise<Segmentish | null> {
    return this.#segments.get(name, () =>
      this.inventory.segment(name).then((s) => (s ? { name: s.name, vlanId: s.vlanId } : null)),
    );
  }

  /** Drops cached state (one device, or everything). */
  invalidate(deviceId?: string): void {
    if (deviceId !== undefined) this.#ids.delete(deviceId);
    else this.#ids.clear();
    this.#macs.clear();
    this.#segments.clear();
  }

  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }
}

function facts(d: DeviceFacts | null): DeviceFacts | null {
  return d ? { id: d.id, state: d.state, segment: d.segment, mabOnly: d.mabOnly } : null;
}

export interface AccessFacts {
  cert: CertFacts;
  device: DeviceFacts | null;
  segment: Segmentish | null;
  serial: string | null;
  /** Extra reasons (store failures). */
  notes: string[];
}

export async function certificateFacts(
  ca: CertificateAuthority,
  dir: DeviceDirectory,
  leafDer: Buffer | undefined,
): Promise<AccessFacts> {
  const none: AccessFacts = {
    cert: { status: 'unknown', sanDeviceId: null, recordDeviceId: null },
    device: null,
    segment: null,
    serial: null,
    notes: [],
  };
  if (!leafDer) return { ...none, notes: ['no-client-certificate'] };
  let status;
  try {
    status = await ca.statusOfCert(leafDer);
  } catch {
    return { ...none, notes: ['status-unavailable'] };
  }
  if (status.state === 'unknown') return none;
  const rec = status.record;
  const sanDeviceId = deviceIdFromSans(rec.sans.uri ?? []);
  const cert: CertFacts = { status: status.state, sanDeviceId, recordDeviceId: rec.deviceId };
  if (status.state !== 'good' || !sanDeviceId) return { ...none, cert, serial: rec.serial };
  const device = await dir.byId(sanDeviceId);
  const segment = device ? await dir.segment(device.segment) : null;
  return { cert, device, segment, serial: rec.serial, notes: [] };
}
