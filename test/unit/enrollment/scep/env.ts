/**
 * A complete SCEP service for tests: database (SQLite, or PostgreSQL with GATEHOUSE_TEST_DB=pg)
 * with audit + CA + enrollment + scep migrations, a real CaService (EC issuing CA by default:
 * the RA is still RSA, RFC 8894 §3.1), the device inventory and Onboarding, the RA identity
 * (ra.ts), the handlers and the router on a node:http listener.
 * addDevice() registers + approves a device and returns its one-time token (the SCEP
 * challengePassword), the way an operator does with `gatehouse device add` + `token`.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import { AuditLog, auditMigrations } from '../../../../platform/audit/index.ts';
import { EventBus } from '../../../../platform/events.ts';
import { silentLogger, type Logger } from '../../../../platform/log.ts';
import { createMetrics, type Registry } from '../../../../platform/metrics.ts';
import { closeServer, createHttpServer, listen } from '../../../../platform/http/index.ts';
import { enrollmentSection } from '../../../../platform/config/sections/enrollment.ts';
import type { RootAlgorithm } from '../../../../ca/root/index.ts';
import { caMigrations } from '../../../../ca/index.ts';
import { enrollmentMigrations } from '../../../../enrollment/migrations.ts';
import { InventoryService } from '../../../../enrollment/inventory/service.ts';
import { Onboarding } from '../../../../enrollment/onboarding/index.ts';
import {
  createScepHandlers,
  createScepRouter,
  openScepRa,
  scepMigrations,
  ScepTransactions,
  type ScepCrlSource,
  type ScepHandlers,
  type ScepRaIdentity,
} from '../../../../enrollment/scep/index.ts';
import { createTestDb, type TestDb } from '../../../helpers/db.ts';
import { createTestPki, type TestPki } from '../../../helpers/pki.ts';

export interface ScepEnvOptions {
  algorithm?: RootAlgorithm;
  allowDesCbc?: boolean;
  labels?: Record<string, { profile?: string; serverAuth?: boolean }>;
  crlSource?: ScepCrlSource;
  /** Start the HTTP listener (router tests, interop). */
  http?: boolean;
  log?: Logger;
}

export interface ScepEnv {
  t: TestDb;
  pki: TestPki;
  audit: AuditLog;
  inventory: InventoryService;
  onboarding: Onboarding;
  ra: ScepRaIdentity;
  handlers: ScepHandlers;
  metrics: Registry;
  server?: Server;
  url: string;
  addDevice(id: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createScepEnv(o: ScepEnvOptions = {}): Promise<ScepEnv> {
  const t = await createTestDb([...auditMigrations, ...caMigrations, ...enrollmentMigrations, ...scepMigrations]);
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const audit = new AuditLog(t.db, { nodeId: 'test', key, keyId: 'test-audit', checkpointEvery: 1000, checkpointMinutes: 10 });
  await audit.init();
  const bus = new EventBus('test', silentLogger());
  const pki = await createTestPki({ db: t.db, audit, bus, algorithm: o.algorithm ?? 'P-256' });
  const config = enrollmentSection.parse({ scep: { allowDesCbc: o.allowDesCbc ?? false }, labels: o.labels ?? {} });
  const inventory = new InventoryService({ db: t.db, audit, bus });
  await inventory.putSegment({ name: 'cameras', vlanId: 30 }, 'test');
  const onboarding = new Onboarding({ db: t.db, audit, bus, ca: pki.ca, inventory, config, idevidAnchors: [] });
  const ra = await openScepRa({ dir: pki.keyDir, passphrase: pki.passphrase, ca: pki.ca });
  const log = o.log ?? silentLogger();
  const metrics = createMetrics(false);
  const handlers = createScepHandlers({
    onboarding,
    ca: pki.ca,
    ra,
    transactions: new ScepTransactions(t.db),
    config: config.scep,
    log,
    metrics,
    crlSource: o.crlSource,
  });
  let server: Server | undefined;
  let url = '';
  if (o.http) {
    const router = createScepRouter({ db: t.db, onboarding, ca: pki.ca, ra, config, log, metrics, crlSource: o.crlSource });
    server = createHttpServer([router], { requestTimeoutMs: 10_000, headersTimeoutMs: 5_000, keepAliveTimeoutMs: 1_000 }, log);
    const addr = await listen(server, 0, '127.0.0.1');
    url = `http://127.0.0.1:${addr.port}/scep`;
  }
  return {
    t,
    pki,
    audit,
    inventory,
    onboarding,
    ra,
    handlers,
    metrics,
    server,
    url,
    async addDevice(id) {
      await inventory.addDevice({ id, name: `Camera ${id}`, function: 'camera', owner: 'facilities', segment: 'cameras' }, 'test');
      await inventory.approve(id, 'test');
      return (await onboarding.createToken(id, 'test')).token;
    },
    async cleanup() {
      if (server) await closeServer(server);
      await pki.cleanup();
      await bus.close();
      await t.cleanup();
    },
  };
}
