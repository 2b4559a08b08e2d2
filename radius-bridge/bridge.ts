/**
 * createRadiusBridge: the RADIUS role as a library the CLI composes (ARCHITECTURE: cli is the only
 * composition root; this wires radius-bridge's own parts from the services it is given).
 *
 * Rules:
 * - Nothing listens before start(); start() obtains the server certificate (given, or issued by
 *   our CA with profile radius-server, key kept in memory), then binds UDP auth/accounting on
 *   every configured host (IPv4 and IPv6), RadSec when enabled, and the CoA sockets; it
 *   subscribes to 'cert.revoked' / 'device.changed' for CoA and cache invalidation.
 * - Secrets come from config as Secret objects and are only turned into Buffers in NasTable;
 *   short ones draw a warning (never the value).
 * - stop() closes listeners, EAP sessions, CoA requests and subscriptions; it is idempotent.
 * - Background tasks (EAP sweep 1 s, stale accounting purge 10 min) use unref'd timers.
 */
import type { CertificateAuthority } from '../ca/index.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import type { RadiusConfig } from '../platform/config/index.ts';
import type { Db } from '../platform/db/index.ts';
import type { EventBus } from '../platform/events.ts';
import type { Logger } from '../platform/log.ts';
import type { Registry } from '../platform/metrics.ts';
import { AccountingService } from './accounting/service.ts';
import { accessHandler } from './auth/mab.ts';
import { DecisionLog } from './auth/decisions.ts';
import { DeviceDirectory, type InventoryLike } from './auth/directory.ts';
import { EapAuthenticator } from './auth/eap.ts';
import { MabAuthenticator } from './auth/mab.ts';
import { CoaClient } from './coa/client.ts';
import { CoaDispatcher } from './coa/dispatcher.ts';
import { EapTlsEngine } from './eap/index.ts';
import { radiusMigrations } from './migrations.ts';
import { RadsecServer } from './radsec/server.ts';
import { issueServerTls, trustedCaPems, type ServerTls } from './server/certificate.ts';
import { PacketHandler, type RequestContext } from './server/handler.ts';
import { RadiusMetrics } from './server/metrics.ts';
import { NasTable } from './server/nas.ts';
import { ReplyCache } from './server/reply-cache.ts';
import { UdpCoaTransport, UdpListeners, type BoundAddress } from './server/udp.ts';

export interface RadiusBridgeOptions {
  config: RadiusConfig;
  db: Db;
  audit: AuditLog | null;
  bus: EventBus;
  ca: CertificateAuthority;
  inventory: InventoryLike;
  log: Logger;
  metrics?: Registry;
  /** Server key + chain (PEM) and trusted client CAs; issued through the CA when omitted. */
  tls?: ServerTls;
  nodeId?: string;
}

export interface RadiusAddresses {
  udp: BoundAddress[];
  radsec: { address: string; port: number } | null;
}

export interface RadiusBridge {
  start(): Promise<void>;
  stop(): Promise<void>;
  addresses(): RadiusAddresses;
  /** The transport-agnostic handler (RadSec and tests use it). Valid after start(). */
  handle(datagram: Buffer, ctx: RequestContext): Promise<Buffer | null>;
  readonly migrations: typeof radiusMigrations;
  readonly metrics: RadiusMetrics;
  readonly nas: NasTable;
  readonly coa: CoaDispatcher;
  readonly directory: DeviceDirectory;
  /** Live EAP sessions. */
  eapSessions(): number;
  /** Waits until queued access-decision audit entries are written. */
  flushAudit(): Promise<void>;
  /** Ends EAP sessions past their lifetime now (the bridge also does it every second). */
  sweep(): number;
  /** The server TLS identity in use (after start()). */
  serverTls(): ServerTls | null;
}

export function createRadiusBridge(o: RadiusBridgeOptions): RadiusBridge {
  const cfg = o.config;
  const log = o.log.child({ part: 'radius' });
  const metrics = new RadiusMetrics(o.metrics);
  const nas = new NasTable(cfg.clients, log);
  const nodeId = o.nodeId ?? 'radius';
  const directory = new DeviceDirectory(o.inventory, { ttlMs: cfg.policy.cacheTtlMs, bus: o.bus });
  const decisions = new DecisionLog({
    audit: o.audit,
    db: o.db,
    log,
    metrics,
    repeatMinutes: cfg.policy.auditRepeatMinutes,
  });
  const mab = new MabAuthenticator(directory, decisions, cfg.policy);
  const accounting = new AccountingService({
    db: o.db,
    dir: directory,
    metrics,
    nodeId,
    staleMs: cfg.accountingStaleHours * 3_600_000,
  });
  const transport = new UdpCoaTransport();
  const client = new CoaClient(transport, cfg.coa);
  const coa = new CoaDispatcher({
    db: o.db,
    audit: o.audit,
    bus: o.bus,
    nas,
    client,
    deviceInfo: (id) => o.inventory.get(id),
    log,
    metrics,
    nodeId,
  });
  const cache = new ReplyCache({ ttlMs: cfg.replyCacheMs, max: cfg.replyCacheMax });
  let udp: UdpListeners | undefined;
  let handler: PacketHandler | undefined;
  let eap: EapAuthenticator | undefined;
  let radsec: RadsecServer | undefined;
  let tlsId: ServerTls | null = null;
  let purge: NodeJS.Timeout | undefined;
  let started = false;

  async function start(): Promise<void> {
    if (started) return;
    started = true;
    tlsId = o.tls ?? (await issueServerTls(o.ca, cfg.serverNames));
    const engine = new EapTlsEngine({
      tls: {
        key: tlsId.key,
        cert: tlsId.cert,
        ca: tlsId.ca.length ? tlsId.ca : trustedCaPems(o.ca),
        minVersion: cfg.eap.minTlsVersion,
      },
      limits: { maxRounds: cfg.eap.maxRounds, maxBytesIn: cfg.eap.maxBytesIn, lifetimeMs: cfg.eap.lifetimeMs },
      maxEapPacket: cfg.eap.maxEapPacket,
    });
    eap = new EapAuthenticator({
      engine,
      ca: o.ca,
      dir: directory,
      decisions,
      metrics,
      policy: cfg.policy,
      maxSessions: cfg.eap.maxSessions,
      lifetimeMs: cfg.eap.lifetimeMs,
    });
    eap.startSweeper();
    const access = accessHandler(eap, mab);
    handler = new PacketHandler({ access, accounting: (req, ctx) => accounting.handle(req, ctx) }, cache, metrics, log);
    udp = new UdpListeners({ handler, nas, metrics, log });
    await transport.open(log);
    coa.start();
    await udp.listen(cfg.hosts, { auth: cfg.authPort, acct: cfg.acctPort });
    if (cfg.radsec.enabled) {
      radsec = new RadsecServer({
        handler,
        nas,
        ca: o.ca,
        tls: { key: tlsId.key, cert: tlsId.cert, ca: tlsId.ca },
        metrics,
        log,
        idleTimeoutMs: cfg.radsec.idleTimeoutMs,
      });
      await radsec.listen(cfg.radsec.host, cfg.radsec.port);
    }
    purge = setInterval(
      () => void accounting.purgeStale().catch((err: unknown) => log.warn({ err }, 'stale session purge failed')),
      600_000,
    ).unref();
    log.info(
      { addresses: udp.addresses(), radsec: radsec?.address() ?? null, clients: nas.clients.length },
      'RADIUS bridge listening',
    );
  }

  async function stop(): Promise<void> {
    if (!started) return;
    started = false;
    if (purge) clearInterval(purge);
    coa.stop();
    await udp?.close();
    udp = undefined;
    await radsec?.close();
    radsec = undefined;
    eap?.close();
    client.close();
    await coa.idle();
    await decisions.flush();
    await transport.close();
    directory.close();
    cache.clear();
  }

  return {
    start,
    stop,
    addresses: () => {
      const a = radsec?.address();
      return { udp: udp?.addresses() ?? [], radsec: a ? { address: a.address, port: a.port } : null };
    },
    handle: (datagram, ctx) => (handler ? handler.handle(datagram, ctx) : Promise.resolve(null)),
    migrations: radiusMigrations,
    metrics,
    nas,
    coa,
    directory,
    eapSessions: () => eap?.sessions ?? 0,
    sweep: () => eap?.sweep() ?? 0,
    flushAudit: () => decisions.flush(),
    serverTls: () => tlsId,
  };
}
