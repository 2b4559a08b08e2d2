/**
 * Shared fixtures for the broker unit tests: a migrated database (SQLite, or PostgreSQL with
 * GATEHOUSE_TEST_DB=pg) with a real audit log and event bus, and a settable clock.
 */
import { generateKeyPairSync } from 'node:crypto';
import { AuditLog, auditMigrations } from '../../../platform/audit/index.ts';
import { EventBus } from '../../../platform/events.ts';
import { silentLogger } from '../../../platform/log.ts';
import { caMigrations } from '../../../ca/index.ts';
import { brokerMigrations } from '../../../ztna-broker/index.ts';
import { createTestDb, type TestDb } from '../../helpers/db.ts';

export interface BrokerDb {
  t: TestDb;
  audit: AuditLog;
  bus: EventBus;
  clock: { now: number };
  now: () => number;
  cleanup(): Promise<void>;
}

export async function brokerDb(start = Date.parse('2025-06-02T09:00:00Z')): Promise<BrokerDb> {
  const t = await createTestDb([...auditMigrations, ...caMigrations, ...brokerMigrations]);
  const audit = new AuditLog(t.db, { nodeId: 'unit', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, keyId: 'unit-audit', checkpointEvery: 1000, checkpointMinutes: 10 });
  await audit.init();
  const bus = new EventBus('unit', silentLogger());
  const clock = { now: start };
  return {
    t,
    audit,
    bus,
    clock,
    now: () => clock.now,
    async cleanup() {
      await bus.close();
      await t.cleanup();
    },
  };
}

/** Audit actions in order. */
export async function auditActions(b: BrokerDb): Promise<string[]> {
  const rows = (await b.t.db('audit_log').orderBy('seq').select('action')) as { action: string }[];
  return rows.map((r) => r.action);
}
