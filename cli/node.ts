/**
 * Composition of a running node (`gatehouse serve`). Roles: ca (CRL + OCSP + CA issuers on the
 * plain-HTTP listener), enroll (EST + SCEP), radius, broker; default all. Several nodes may run
 * on one PostgreSQL: revocations reach every node through LISTEN/NOTIFY.
 * Order: context -> CA (issuing key unlocked; the root key is never read) -> event listener ->
 * CRL + OCSP -> listeners -> timers. stop() reverses it and leaves no timer or socket behind.
 * broker.workers > 1: this process ensures the broker's server certificate and the shared
 * assertion key (<keyDir>/tls/broker-assertion.key.pem, encrypted, unless assertion.keyFile is
 * set), then forks the workers (broker-workers.ts) and keeps every other role; each worker runs
 * startBrokerWorker(): the broker only, reading that certificate and key, never issuing.
 */
import type { Server } from 'node:http';
import { aggregatedMetrics, answerMetricsRequests, closeServer, createHttpServer, listen, type Router } from '../platform/index.ts';
import { CrlService, createCrlRouter } from '../ca/crl/index.ts';
import { OcspResponder, createOcspRouter } from '../ca/ocsp/index.ts';
import type { CaService } from '../ca/index.ts';
import { openContext, type Context, type GlobalOpts } from './context.ts';
import { openCa } from './ca-open.ts';
import { createAdminServer } from './admin-server.ts';
import { ensureServiceCert, ensureServiceKey, loadServiceCert, loadServiceKey, type ServiceTls } from './service-certs.ts';
import { BrokerWorkers, brokerWorkerCount } from './broker-workers.ts';
import { InventoryService, Onboarding, loadTrustAnchors, createEstServer, createScepRouter, openScepRa } from '../enrollment/index.ts';
import { createAdminApiServer } from '../enrollment/admin/server.ts';
import { createRadiusBridge } from '../radius-bridge/index.ts';
import { createBroker, loadPolicy, type Broker } from '../ztna-broker/index.ts';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROLES = ['ca', 'enroll', 'radius', 'broker'] as const;
export type Role = (typeof ROLES)[number];
const ASSERTION_KEY = 'broker-assertion';
type Stops = Array<() => Promise<void> | void>;

export interface RunningNode {
  ctx: Context;
  ca: CaService;
  crl: CrlService;
  ocsp: OcspResponder;
  http: Server;
  admin: Server;
  addresses: Record<string, string>;
  inventory: InventoryService;
  onboarding: Onboarding;
  stop(): Promise<void>;
}

export async function startNode(g: GlobalOpts, roles: readonly Role[]): Promise<RunningNode> {
  const ctx = await openContext(g, { needAudit: true, pollEvents: true });
  const { config, log } = ctx;
  const stops: Array<() => Promise<void> | void> = [];
  let brokerPool: BrokerWorkers | null = null;
  try {
    const ca = await openCa(ctx);
    stops.push(() => ca.close());
    if (config.db.url) await ctx.bus.listen(config.db.url);
    const crl = new CrlService({ db: ctx.db, ca, bus: ctx.bus, config: config.ca.crl, publicUrl: config.http.publicUrl, log, audit: ctx.audit ?? undefined });
    const ocsp = new OcspResponder({ ca, bus: ctx.bus, config: config.ca.ocsp, log, metrics: ctx.metrics });
    const routers: Router[] = [];
    if (roles.includes('ca')) {
      await crl.start();
      stops.push(() => crl.stop());
      await ocsp.start();
      stops.push(() => ocsp.stop());
      // shared caches must not keep a pre-revocation CRL for a day: cap max-age
      routers.push(createCrlRouter(crl, { maxAgeCapSeconds: Math.min(config.ca.crl.rebuildIntervalSeconds, 300) }), createOcspRouter(ocsp));
    }
    const addresses: Record<string, string> = {};
    const keyDir = resolve(config.ca.keyDir ?? join(config.dataDir, 'ca'));
    const passphrase = config.ca.keyPassphrase!.reveal();
    const idevidAnchors = loadTrustAnchors(config.enrollment.idevid.trustAnchors);
    const inventory = new InventoryService({ db: ctx.db, audit: ctx.audit!, bus: ctx.bus });
    const onboarding = new Onboarding({ db: ctx.db, audit: ctx.audit!, bus: ctx.bus, ca, inventory, config: config.enrollment, idevidAnchors });
    const split = (names: readonly string[]) => ({ dns: names.filter((n) => !/^[\d.:]+$/.test(n)), ip: names.filter((n) => /^[\d.:]+$/.test(n)) });
    if (roles.includes('enroll') && config.enrollment.scep.enabled) {
      const ra = await openScepRa({ dir: keyDir, passphrase, ca, keyAlgorithm: config.enrollment.scep.raKeyAlgorithm, log });
      routers.push(createScepRouter({ db: ctx.db, onboarding, ca, ra, config: config.enrollment, log, metrics: ctx.metrics, crlSource: crl }));
    }
    if (roles.includes('enroll') && config.enrollment.est.enabled) {
      const t = await ensureServiceCert(ca, { keyDir, passphrase, name: 'est', ...split(config.enrollment.est.serverNames) });
      const est = createEstServer({ onboarding, ca, config: { ...config.enrollment.est, labels: config.enrollment.labels, approval: config.enrollment.approval }, tls: { key: t.key, cert: t.certPem }, idevidAnchors, log, metrics: ctx.metrics });
      const e = await est.listen(config.enrollment.est.port, config.enrollment.est.host);
      addresses.est = `https://${e.address}:${e.port}`;
      stops.push(() => est.close());
    }
    if (roles.includes('radius') && config.radius.enabled) {
      const radius = createRadiusBridge({ config: config.radius, db: ctx.db, audit: ctx.audit, bus: ctx.bus, ca, inventory, log, metrics: ctx.metrics, nodeId: config.nodeId });
      await radius.start();
      stops.push(() => radius.stop());
      const ra = radius.addresses();
      ra.udp.forEach((u, i) => (addresses[`radius${i ? i : ''}`] = `udp://${u.family === 'IPv6' ? `[${u.address}]` : u.address}:${u.port} (${u.kind})`));
      if (ra.radsec) addresses.radsec = `tls://${ra.radsec.address}:${ra.radsec.port}`;
    }
    if (roles.includes('broker') && config.broker.enabled) {
      const policyText = readFileSync(config.broker.policyFile!, 'utf8');
      const hosts = [config.broker.host, ...[...loadPolicy(policyText).routes.values()].map((r) => r.host)];
      const tls = config.broker.tls ? undefined : await ensureServiceCert(ca, { keyDir, passphrase, name: 'broker', dns: [...new Set(hosts)], ip: [] });
      const workers = brokerWorkerCount(config.broker.workers);
      if (workers > 1) {
        if (!config.broker.assertion.keyFile) ensureServiceKey({ keyDir, passphrase, name: ASSERTION_KEY });
        const pool = new BrokerWorkers({ count: workers, nodeId: config.nodeId, listen: config.broker.listen, log });
        brokerPool = pool;
        stops.push(() => pool.stop());
        const bAddr = await pool.start();
        addresses.broker = `https://${bAddr.address}:${bAddr.port}`;
      } else {
        const broker = await runBroker(ctx, ca, policyText, tls, undefined, stops);
        addresses.broker = broker.address;
      }
    }
    const http = createHttpServer(routers, config.http, log);
    const a = await listen(http, config.http.port, config.http.host);
    addresses.http = `http://${a.address}:${a.port}`;
    stops.push(() => closeServer(http));
    if (roles.includes('ca') && config.api.enabled) {
      const tls = await ensureServiceCert(ca, { keyDir, passphrase, name: 'api', ...split(config.api.serverNames) });
      const api = createAdminApiServer({ db: ctx.db, ca, inventory, onboarding, admins: config.api.admins, maxBodyBytes: config.api.maxBodyBytes }, tls, log);
      const c = await listen(api, config.api.port, config.api.host);
      addresses.api = `https://${c.address}:${c.port}`;
      stops.push(() => closeServer(api));
    }
    const pool = brokerPool;
    const admin = createAdminServer({ metrics: ctx.metrics, db: ctx.db, log, ...(pool ? { metricsText: () => aggregatedMetrics(ctx.metrics, pool.peers()) } : {}) });
    const b = await listen(admin, config.admin.port, config.admin.host);
    addresses.admin = `http://${b.address}:${b.port}`;
    stops.push(() => closeServer(admin));
    const cp = setInterval(() => void ctx.audit?.checkpointIfDue().catch((e) => log.warn({ err: e }, 'audit checkpoint failed')), 60_000);
    cp.unref();
    stops.push(() => clearInterval(cp));
    // issuer rollover done elsewhere (CLI, another node) and expired retiring issuers
    const upkeep = setInterval(() => void ca.maintenance().catch((e) => log.warn({ err: e }, 'CA maintenance failed')), 30_000);
    upkeep.unref();
    stops.push(() => clearInterval(upkeep));
    log.info({ roles, addresses, issuer: ca.activeIssuer().record.id }, 'gatehouse node started');
    let stopped = false;
    return {
      ctx,
      ca,
      crl,
      ocsp,
      http,
      admin,
      addresses,
      inventory,
      onboarding,
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const s of stops.reverse()) await Promise.resolve(s()).catch((e) => log.warn({ err: e }, 'stop step failed'));
        await ctx.close();
      },
    };
  } catch (e) {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
    await ctx.close();
    throw e;
  }
}

/** createBroker + listen + SIGHUP policy reload (the single process or one worker). */
async function runBroker(ctx: Context, ca: CaService, policy: string, tls: ServiceTls | undefined, assertionKeyPem: string | undefined, stops: Stops): Promise<{ broker: Broker; address: string }> {
  const { config, log } = ctx;
  const broker = await createBroker({ config: config.broker, db: ctx.db, audit: ctx.audit!, bus: ctx.bus, ca, log, metrics: ctx.metrics, policy, ...(tls ? { tls: { key: tls.keyPem, cert: tls.certPem } } : {}), ...(assertionKeyPem ? { assertionKeyPem } : {}) });
  const a = await broker.start();
  stops.push(() => broker.stop());
  const onHup = () => {
    try {
      broker.reloadPolicy(readFileSync(config.broker.policyFile!, 'utf8'));
      log.info('broker policy reloaded');
    } catch (e) {
      log.error({ err: e }, 'broker policy reload failed; the previous policy stays in force');
    }
  };
  process.on('SIGHUP', onHup);
  stops.push(() => void process.off('SIGHUP', onHup));
  return { broker, address: `https://${a.address}:${a.port}` };
}

/** One broker worker process (`serve --broker-worker`, forked by BrokerWorkers): the broker role only. */
export async function startBrokerWorker(g: GlobalOpts): Promise<{ address: string; stop(): Promise<void> }> {
  const ctx = await openContext(g, { needAudit: true, pollEvents: true });
  const { config, log } = ctx;
  const stops: Stops = [];
  const stop = async () => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch((e) => log.warn({ err: e }, 'stop step failed'));
    stops.length = 0;
    await ctx.close();
  };
  try {
    const ca = await openCa(ctx);
    stops.push(() => ca.close());
    if (config.db.url) await ctx.bus.listen(config.db.url);
    const keyDir = resolve(config.ca.keyDir ?? join(config.dataDir, 'ca'));
    const passphrase = config.ca.keyPassphrase!.reveal();
    const tls = config.broker.tls ? undefined : loadServiceCert(ca, { keyDir, passphrase, name: 'broker' });
    // created by the primary before it forked: loading (never creating) keeps one key for all
    const assertionKeyPem = config.broker.assertion.keyFile ? undefined : loadServiceKey({ keyDir, passphrase, name: ASSERTION_KEY });
    const { address } = await runBroker(ctx, ca, readFileSync(config.broker.policyFile!, 'utf8'), tls, assertionKeyPem, stops);
    stops.push(answerMetricsRequests(ctx.metrics)); // the primary's /metrics includes this worker
    // issuers rolled over by the primary or the CLI (retirement itself is the primary's job)
    const upkeep = setInterval(() => void ca.refreshIssuers().catch((e) => log.warn({ err: e }, 'issuer refresh failed')), 30_000);
    upkeep.unref();
    stops.push(() => clearInterval(upkeep));
    log.info({ address }, 'gatehouse broker worker started');
    return { address, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
