/**
 * A running RADIUS bridge for integration and interop tests: database (SQLite, or PostgreSQL with
 * GATEHOUSE_TEST_DB=pg), audit log, event bus, a real test PKI (createTestPki), the inventory with
 * segments, and the bridge listening on 127.0.0.1 with ephemeral ports.
 *
 * - enroll() registers a device, issues its certificate through ca.issue with the device grant
 *   (URI SAN urn:gatehouse:device:<id>) and writes key/chain PEM files for eapol_test.
 * - files: the CA bundle (issuing + root) that supplicants use to trust the server.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog, auditMigrations } from '../../platform/audit/index.ts';
import { loadConfig } from '../../platform/config/index.ts';
import { EventBus } from '../../platform/events.ts';
import { silentLogger, createLogger, type Logger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { caMigrations } from '../../ca/index.ts';
import { enrollmentMigrations } from '../../enrollment/migrations.ts';
import { InventoryService } from '../../enrollment/inventory/service.ts';
import { deviceGrant } from '../../enrollment/onboarding/grant.ts';
import { createRadiusBridge, radiusMigrations, type RadiusBridge, type RequestContext } from '../../radius-bridge/index.ts';
import { derToPem } from '../../radius-bridge/server/certificate.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { createTestPki, makeCsr, type CsrKeyAlg, type TestPki } from '../helpers/pki.ts';

export const SECRET = 'testing123-long-enough-secret';

export interface FixtureOptions {
  policy?: Record<string, unknown>;
  clients?: Array<Record<string, unknown>>;
  radsec?: boolean;
  radius?: Record<string, unknown>;
  log?: boolean;
  /** Event bus channel (PostgreSQL LISTEN/NOTIFY tests use a private one). */
  channel?: string;
}

export interface Enrolled {
  id: string;
  serial: string;
  keyFile: string;
  certFile: string;
}

export interface RadiusFixture {
  t: TestDb;
  pki: TestPki;
  bus: EventBus;
  audit: AuditLog;
  inventory: InventoryService;
  bridge: RadiusBridge;
  log: Logger;
  authPort: number;
  acctPort: number;
  caFile: string;
  enroll(
    id: string,
    opts?: { segment?: string; alg?: CsrKeyAlg; macs?: string[]; enrolled?: boolean },
  ): Promise<Enrolled>;
  addMabDevice(
    id: string,
    mac: string,
    opts?: { segment?: string; mabOnly?: boolean; approve?: boolean },
  ): Promise<void>;
  close(): Promise<void>;
}

export async function radiusFixture(o: FixtureOptions = {}): Promise<RadiusFixture> {
  const t = await createTestDb([...auditMigrations, ...caMigrations, ...enrollmentMigrations, ...radiusMigrations]);
  const audit = new AuditLog(t.db, {
    nodeId: 'test',
    key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    keyId: 'k',
    checkpointEvery: 1000,
    checkpointMinutes: 10,
  });
  await audit.init();
  const log = o.log ? createLogger({ level: 'debug' }) : silentLogger();
  const bus = new EventBus('test', log, o.channel);
  const pki = await createTestPki({ db: t.db, audit, bus });
  const inventory = new InventoryService({ db: t.db, audit, bus });
  await inventory.putSegment({ name: 'sensors', vlanId: 20 }, 'test');
  await inventory.putSegment({ name: 'cameras', vlanId: 30 }, 'test');
  const config = loadConfig({
    env: {},
    overrides: {
      radius: {
        enabled: true,
        hosts: ['127.0.0.1'],
        authPort: 0,
        acctPort: 0,
        clients: o.clients ?? [
          { name: 'sw1', address: '127.0.0.0/8', secret: { value: SECRET }, coa: { mode: 'disconnect' } },
        ],
        policy: o.policy ?? {},
        radsec: { enabled: o.radsec ?? false, port: 0 },
        ...o.radius,
      },
    },
  });
  const bridge = createRadiusBridge({
    config: config.radius,
    db: t.db,
    audit,
    bus,
    ca: pki.ca,
    inventory,
    log,
    metrics: createMetrics(false),
    nodeId: 'test',
  });
  await bridge.start();
  const addr = bridge.addresses().udp;
  const caFile = join(t.dir, 'ca.pem');
  writeFileSync(caFile, [pki.issuer.record.certDer, pki.rootCertDer].map((d) => derToPem(d)).join(''));

  return {
    t,
    pki,
    bus,
    audit,
    inventory,
    bridge,
    log,
    authPort: addr.find((a) => a.kind === 'auth')!.port,
    acctPort: addr.find((a) => a.kind === 'acct')!.port,
    caFile,
    async enroll(id, e = {}) {
      await inventory.addDevice(
        { id, name: id, function: 'sensor', owner: 'ops', segment: e.segment ?? 'sensors', macs: e.macs ?? [] },
        'test',
      );
      await inventory.approve(id, 'test');
      const device = (await inventory.get(id))!;
      const { csrDer, key } = makeCsr(e.alg ?? 'P-256');
      const cert = await pki.ca.issue(csrDer, deviceGrant(device, config.enrollment, { actor: 'test' }));
      if (e.enrolled !== false) await inventory.transition(id, 'enrolled', 'test');
      const keyFile = join(t.dir, `${id}.key`);
      const certFile = join(t.dir, `${id}.pem`);
      writeFileSync(keyFile, key.export({ type: 'pkcs8', format: 'pem' }) as string);
      writeFileSync(certFile, [cert.der, ...cert.chain].map((d) => derToPem(d)).join(''));
      return { id, serial: cert.serial, keyFile, certFile };
    },
    async addMabDevice(id, mac, m = {}) {
      await inventory.addDevice(
        {
          id,
          name: id,
          function: 'meter',
          owner: 'ops',
          segment: m.segment ?? 'sensors',
          macs: [mac],
          mabOnly: m.mabOnly ?? true,
        },
        'test',
      );
      if (m.approve !== false) await inventory.approve(id, 'test');
    },
    async close() {
      await bridge.stop();
      await pki.cleanup();
      await bus.close();
      await t.cleanup();
    },
  };
}

/** Hands `packet` to the bridge from a random source port: no answer, and one more drop counted as `reason`. */
export async function expectDropped(f: RadiusFixture, ctx: RequestContext, packet: Buffer, reason: string, c: Partial<RequestContext> = {}): Promise<void> {
  const drops = () => f.bridge.metrics.dropped.get(reason as never) ?? 0;
  const before = drops();
  assert.equal(await f.bridge.handle(packet, { ...ctx, source: `127.0.0.1:${Math.floor(Math.random() * 60000) + 1}`, ...c }), null);
  assert.equal(drops(), before + 1, `counted as ${reason}`);
}
