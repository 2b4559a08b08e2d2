/**
 * Revocation and quarantine -> CoA/Disconnect to the NAS holding the device's live sessions.
 *
 * Rules:
 * - Triggers: 'cert.revoked' for a certificate bound to a device (any reason but removeFromCRL),
 *   and 'device.changed' to quarantined or retired. Events from other nodes arrive on the same bus
 *   (PostgreSQL LISTEN/NOTIFY, platform/events.ts) and are handled alike.
 * - Every live accounting session of the device is addressed (RFC 5176 §3 needs accounting data):
 *   to the NAS's configured CoA address, else the address its accounting came from, port 3799 by
 *   default, with the NAS's vendor profile and shared secret.
 * - Vendor profiles: disconnect = Disconnect-Request (code 40, §2.1), the session ends and the
 *   supplicant meets the current policy when it re-authenticates; coa-reauth = CoA-Request (43,
 *   §2.2) with Cisco-AVPair "subscriber:command=reauthenticate" (Cisco/Aruba/Meraki session
 *   reauth); coa-bounce-port = "subscriber:command=bounce-host-port" (MAB devices that must DHCP
 *   again). Session identification (§3): Acct-Session-Id, User-Name and Calling-Station-Id when
 *   known; NAS identification as the NAS reported it; Event-Timestamp (§3.5) always.
 * - One attempt per (session, trigger) across all nodes: the attempts table is the claim
 *   (store.ts). The trigger names the event occurrence (issuer+serial, or the state's timestamp).
 * - The outcome (ack / nak + Error-Cause / timeout / error, attempts) is stored and audited
 *   (`radius.coa`); a Disconnect-ACK, or a NAK with Error-Cause 503 Session-Context-Not-Found
 *   (RFC 5176 §3.6), removes the live session. Failures are logged, never thrown into the bus.
 */
import { isIPv4 } from 'node:net';
import type { AttributeInput } from '../codec/index.ts';
import type { CoaMode } from '../server/nas.ts';
import type { AuditLog } from '../../platform/audit/index.ts';
import type { Db } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { Logger } from '../../platform/log.ts';
import type { LiveSession } from '../accounting/state.ts';
import { sessionStore } from '../accounting/store.ts';
import type { NasTable } from '../server/nas.ts';
import type { RadiusMetrics } from '../server/metrics.ts';
import type { CoaClient, CoaOutcome } from './client.ts';
import { attemptStore } from './store.ts';

const SESSION_CONTEXT_NOT_FOUND = 503;

export interface CoaDispatcherDeps {
  db: Db;
  audit: AuditLog | null;
  bus: EventBus;
  nas: NasTable;
  client: CoaClient;
  /** Reads the device's lifecycle timestamps (inventory get). */
  deviceInfo: (id: string) => Promise<{ quarantinedAt?: string | null; retiredAt?: string | null } | null>;
  log: Logger;
  metrics: RadiusMetrics;
  nodeId: string;
  now?: () => Date;
}

export interface KickResult {
  session: LiveSession;
  outcome: CoaOutcome | 'claimed-elsewhere' | 'no-nas';
}

export class CoaDispatcher {
  readonly #unsubscribe: Array<() => void> = [];
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(private readonly deps: CoaDispatcherDeps) {}

  start(): void {
    const { bus } = this.deps;
    this.#unsubscribe.push(
      bus.subscribe('cert.revoked', (e) => {
        if (!e.deviceId || e.reason === 'removeFromCRL') return;
        this.#track(this.kick(e.deviceId, `cert.revoked:${e.issuerId}:${e.serial}:${e.revokedAt}`));
      }),
      bus.subscribe('device.changed', (e) => {
        if (e.state !== 'quarantined' && e.state !== 'retired') return;
        this.#track(this.#onState(e.deviceId, e.state));
      }),
    );
  }

  /** Waits for running kicks (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
  }

  stop(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  /** Sends Disconnect/CoA for every live session of the device. */
  async kick(deviceId: string, trigger: string): Promise<KickResult[]> {
    const sessions = await sessionStore.byDevice(this.deps.db, deviceId);
    return Promise.all(sessions.map((s) => this.#kickSession(s, trigger)));
  }

  async #onState(deviceId: string, state: string): Promise<void> {
    const info = await this.deps.deviceInfo(deviceId);
    const at = info?.[state === 'retired' ? 'retiredAt' : 'quarantinedAt'];
    await this.kick(deviceId, `device.${state}@${typeof at === 'string' ? at : 'unknown'}`);
  }

  async #kickSession(s: LiveSession, trigger: string): Promise<KickResult> {
    const { db, log, metrics } = this.deps;
    const nas = this.deps.nas.byName(s.nasName);
    if (!nas) {
      log.warn({ nas: s.nasName, session: s.acctSessionId }, 'CoA: NAS no longer configured');
      return { session: s, outcome: 'no-nas' };
    }
    const address = nas.coa.address ?? s.nasAddress;
    const destination = `${address.includes(':') ? `[${address}]` : address}:${nas.coa.port}`;
    const now = this.deps.now ?? (() => new Date());
    const claim = await attemptStore.claim(db, {
      nasName: s.nasName,
      acctSessionId: s.acctSessionId,
      deviceId: s.deviceId,
      trigger,
      mode: nas.coa.mode,
      destination,
      nodeId: this.deps.nodeId,
      createdAt: now().getTime(),
    });
    if (claim === null) return { session: s, outcome: 'claimed-elsewhere' };
    const packet = coaPacketFor(nas.coa.mode, s, now());
    const outcome = await this.deps.client.send({ ...packet, address, port: nas.coa.port, secret: nas.secret });
    metrics.coa(outcome.result);
    await attemptStore.finish(db, claim, outcome.result, outcome.attempts, outcome.errorCause ?? null, now().getTime());
    const gone =
      (outcome.result === 'ack' && packet.code === 'Disconnect-Request') ||
      outcome.errorCause === SESSION_CONTEXT_NOT_FOUND;
    if (gone) await sessionStore.remove(db, s.nasName, s.acctSessionId);
    const data = {
      nas: s.nasName,
      acctSessionId: s.acctSessionId,
      trigger,
      mode: nas.coa.mode,
      destination,
      ...outcome,
    };
    (outcome.result === 'ack' ? log.info : log.warn).call(log, data, 'RADIUS CoA outcome');
    await this.deps.audit?.record({
      actor: 'radius:coa',
      action: 'radius.coa',
      target: `device:${s.deviceId ?? 'unknown'}`,
      data,
    });
    return { session: s, outcome };
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.deps.log.error({ err }, 'CoA dispatch failed'));
    this.#inflight.add(tracked);
    void tracked.finally(() => this.#inflight.delete(tracked));
  }
}

export interface CoaPacket {
  code: 'Disconnect-Request' | 'CoA-Request';
  attributes: AttributeInput[];
}

export const COA_COMMANDS: Readonly<Record<Exclude<CoaMode, 'disconnect'>, string>> = {
  'coa-reauth': 'subscriber:command=reauthenticate',
  'coa-bounce-port': 'subscriber:command=bounce-host-port',
};

export function coaPacketFor(mode: CoaMode, s: LiveSession, now: Date): CoaPacket {
  const attrs: AttributeInput[] = [];
  if (s.nasIp) attrs.push({ name: isIPv4(s.nasIp) ? 'NAS-IP-Address' : 'NAS-IPv6-Address', value: s.nasIp });
  if (s.nasIdentifier) attrs.push({ name: 'NAS-Identifier', value: s.nasIdentifier });
  if (s.userName) attrs.push({ name: 'User-Name', value: s.userName });
  attrs.push({ name: 'Acct-Session-Id', value: s.acctSessionId });
  if (s.callingStationId) attrs.push({ name: 'Calling-Station-Id', value: s.callingStationId });
  attrs.push({ name: 'Event-Timestamp', value: now });
  if (mode === 'disconnect') return { code: 'Disconnect-Request', attributes: attrs };
  attrs.push({ name: 'Cisco-AVPair', value: COA_COMMANDS[mode] });
  if (mode === 'coa-reauth') attrs.push({ name: 'Cisco-AVPair', value: 'subscriber:reauthenticate-type=last' });
  return { code: 'CoA-Request', attributes: attrs };
}
