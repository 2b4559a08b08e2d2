/**
 * A CrlService test environment without the issuance core: migrated database (SQLite, or
 * PostgreSQL with GATEHOUSE_TEST_DB=pg), audit log, event bus, two software issuers (one
 * retiring), an adjustable clock, and a record of every 'crl.published' event.
 */
import { generateKeyPairSync } from 'node:crypto';
import { caMigrations } from '../../../../ca/migrations.ts';
import { CrlService, parseCrl, type CrlServiceOptions, type PublishedCrl } from '../../../../ca/crl/index.ts';
import type { LoadedIssuer } from '../../../../ca/types.ts';
import { AuditLog, auditMigrations } from '../../../../platform/audit/index.ts';
import { EventBus } from '../../../../platform/events.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { createTestDb, type TestDb } from '../../../helpers/db.ts';
import { fakeCa, insertIssuerRow, loadedIssuer, softIssuer } from './helpers.ts';

export const CONFIG = {
  validitySeconds: 86_400,
  rebuildIntervalSeconds: 3_600,
  debounceMs: 40,
  deltaValiditySeconds: 3_600,
};
const PUBLIC_URL = 'http://crl.test:8080';

export interface Env {
  t: TestDb;
  bus: EventBus;
  audit: AuditLog;
  issuers: LoadedIssuer[];
  clock: { now: number };
  make(over?: Partial<CrlServiceOptions>): CrlService;
  published: Array<{ issuerId: string; crlNumber: string; delta: boolean }>;
  done(): Promise<void>;
}

export async function setup(): Promise<Env> {
  const t = await createTestDb([...auditMigrations, ...caMigrations]);
  const audit = new AuditLog(t.db, {
    nodeId: 'n1',
    key: generateKeyPairSync('ed25519').privateKey,
    keyId: 'k1',
    checkpointEvery: 1000,
    checkpointMinutes: 10,
  });
  await audit.init();
  const bus = new EventBus('n1', silentLogger());
  const issuers = [loadedIssuer('i1', softIssuer()), loadedIssuer('i2', softIssuer('Ed25519'), { status: 'retiring' })];
  for (const i of issuers) await insertIssuerRow(t.db, i);
  const clock = { now: Date.now() };
  const services: CrlService[] = [];
  const published: Env['published'] = [];
  bus.subscribe('crl.published', (p) => void published.push(p));
  return {
    t,
    bus,
    audit,
    issuers,
    clock,
    published,
    make(over = {}) {
      const s = new CrlService({
        db: t.db,
        ca: fakeCa(issuers),
        bus,
        config: CONFIG,
        publicUrl: PUBLIC_URL,
        log: silentLogger(),
        audit,
        now: () => new Date(clock.now),
        ...over,
      });
      services.push(s);
      return s;
    },
    async done() {
      for (const s of services) await s.stop();
      await bus.close();
      await t.cleanup();
    },
  };
}

export const serials = (c: PublishedCrl | null): string[] =>
  c
    ? parseCrl(c.der)
        .entries.map((e) => e.serial)
        .sort()
    : [];
export const sec = (ms: number): number => Math.floor(ms / 1000);

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
