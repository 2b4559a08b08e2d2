/**
 * Test world for onboarding and EST: one database (SQLite, or PostgreSQL with
 * GATEHOUSE_TEST_DB=pg) with audit + CA + enrollment tables, a real test PKI, the inventory with
 * a segment, Onboarding, and a second, separate PKI playing the device manufacturer (its root is
 * the IDevID trust anchor, and its certificates are "foreign" to our CA).
 * startEst() runs the real EST HTTPS server on a loopback port with a server certificate issued
 * by our CA (profile radius-server: serverAuth, DNS localhost + IP 127.0.0.1).
 * Always call cleanup().
 */
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, auditMigrations } from '../../../../platform/audit/index.ts';
import { configSchema, type EnrollmentConfig } from '../../../../platform/config/index.ts';
import { EventBus } from '../../../../platform/events.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { createMetrics } from '../../../../platform/metrics.ts';
import { caMigrations } from '../../../../ca/index.ts';
import { toPem } from '../../../../ca/asn1/index.ts';
import {
  createEstServer,
  enrollmentMigrations,
  InventoryService,
  Onboarding,
  type EstServer,
} from '../../../../enrollment/index.ts';
import { createTestDb, type TestDb } from '../../../helpers/db.ts';
import { createTestCa, createTestPki, makeCsr, type TestCa, type TestPki } from '../../../helpers/pki.ts';

export type EnrollmentInput = Record<string, unknown>;

export interface EnrollEnv {
  t: TestDb;
  pki: TestPki;
  audit: AuditLog;
  bus: EventBus;
  inventory: InventoryService;
  onboarding: Onboarding;
  config: EnrollmentConfig;
  /** The manufacturer: a separate CA whose root is our IDevID trust anchor. */
  maker: TestCa;
  anchors: X509Certificate[];
  clock: { now: number };
  dir: string;
  /** Registers (and by default approves) a device in segment `sensors`. */
  addDevice(id: string, o?: { approve?: boolean; idevidSerial?: string }): Promise<void>;
  token(id: string): Promise<string>;
  /** An IDevID (leaf + manufacturer issuing CA) with subject serialNumber. */
  idevid(serial: string): Promise<{ chain: Buffer[]; key: KeyObject }>;
  /** Our CA chain (issuing CA + root) as PEM. */
  chainPem(): string;
  cleanup(): Promise<void>;
}

export function enrollmentConfig(input: EnrollmentInput = {}): EnrollmentConfig {
  return configSchema.shape.enrollment.parse(input) as EnrollmentConfig;
}

export async function createEnrollEnv(input: EnrollmentInput = {}): Promise<EnrollEnv> {
  const t = await createTestDb([...auditMigrations, ...caMigrations, ...enrollmentMigrations]);
  const audit = new AuditLog(t.db, {
    nodeId: 'test',
    key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    keyId: 'test-audit',
    checkpointEvery: 1000,
    checkpointMinutes: 10,
  });
  await audit.init();
  const bus = new EventBus('test', silentLogger());
  const clock = { now: 0 };
  const now = () => (clock.now ? clock.now : Date.now());
  const pki = await createTestPki({ db: t.db, audit, bus, service: { now: () => new Date(now()) } });
  const maker = await createTestCa({ issuingSubject: { commonName: 'Acme Devices IDevID CA', organization: 'Acme' } });
  const anchors = [new X509Certificate(maker.rootCertDer)];
  const inventory = new InventoryService({ db: t.db, audit, bus, now: () => new Date(now()) });
  await inventory.putSegment({ name: 'sensors', vlanId: 120 }, 'test');
  const config = enrollmentConfig(input);
  const onboarding = new Onboarding({
    db: t.db,
    audit,
    bus,
    ca: pki.ca,
    inventory,
    config,
    idevidAnchors: anchors,
    now,
  });
  const dir = mkdtempSync(join(tmpdir(), 'gh-est-'));
  return {
    t,
    pki,
    audit,
    bus,
    inventory,
    onboarding,
    config,
    maker,
    anchors,
    clock,
    dir,
    async addDevice(id, o = {}) {
      await inventory.addDevice(
        {
          id,
          name: id,
          function: 'sensor',
          owner: 'ops',
          segment: 'sensors',
          ...(o.idevidSerial ? { idevidSerial: o.idevidSerial } : {}),
        },
        'test',
      );
      if (o.approve !== false) await inventory.approve(id, 'test');
    },
    async token(id) {
      return (await onboarding.createToken(id, 'test')).token;
    },
    async idevid(serial) {
      const { csrDer, key } = makeCsr('P-256');
      const c = await maker.ca.issue(csrDer, {
        profile: 'device-tls',
        subject: { commonName: `acme-${serial}`, serialNumber: serial },
        actor: 'test:maker',
      });
      return { chain: [c.der, ...c.chain], key };
    },
    chainPem() {
      return pki.ca
        .caCertificates()
        .map((d) => toPem('CERTIFICATE', d))
        .join('');
    },
    async cleanup() {
      await pki.cleanup();
      await maker.cleanup();
      await bus.close();
      await t.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunningEst {
  est: EstServer;
  port: number;
  url: string;
  /** Files: ca.pem (our chain), server.pem. */
  caFile: string;
}

/** Starts the EST server with a server certificate from our CA. */
export async function startEst(env: EnrollEnv, est: Partial<EnrollmentConfig['est']> = {}): Promise<RunningEst> {
  const { csrDer, key } = makeCsr('P-256');
  const cert = await env.pki.ca.issue(csrDer, {
    profile: 'radius-server',
    subject: { commonName: 'localhost' },
    sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
    actor: 'test:est-server',
  });
  const config = { ...env.config.est, ...est, labels: env.config.labels, approval: env.config.approval };
  const server = createEstServer({
    onboarding: env.onboarding,
    ca: env.pki.ca,
    config,
    tls: { key, cert: [cert.der, ...cert.chain] },
    idevidAnchors: env.anchors,
    log: silentLogger(),
    metrics: createMetrics(false),
  });
  const addr = await server.listen(0, '127.0.0.1');
  const caFile = join(env.dir, 'ca.pem');
  writeFileSync(caFile, env.chainPem());
  return { est: server, port: addr.port, url: `https://localhost:${addr.port}/.well-known/est`, caFile };
}
