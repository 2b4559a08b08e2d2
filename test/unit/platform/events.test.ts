/**
 * The event bus: local delivery, SQLite cross-process feed, PostgreSQL NOTIFY across nodes, and
 * resync when the PostgreSQL listener connection is killed (caches must not trust a silent link).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { EventBus, eventMigrations } from '../../../platform/events.ts';
import { silentLogger } from '../../../platform/log.ts';
import { withTx } from '../../../platform/db/index.ts';
import { createTestDb, PG_URL } from '../../helpers/db.ts';

const until = async (f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return f();
};

test('SQLite: a change committed by another process reaches a polling node; a rollback never does', async () => {
  const t = await createTestDb(eventMigrations, 'sqlite');
  const a = new EventBus('node-a', silentLogger());
  const b = new EventBus('node-b', silentLogger());
  try {
    await a.attachDb(t.db, { poll: false });
    await b.attachDb(t.db, { poll: true, pollMs: 20 });
    const got: string[] = [];
    b.subscribe('cert.revoked', (e) => void got.push(e.serial));
    await withTx(t.db, (trx) => a.notifyTx(trx, 'cert.revoked', { issuerId: 'i', serial: '01', reason: 'keyCompromise', revokedAt: 'x' }));
    await assert.rejects(
      withTx(t.db, async (trx) => {
        await a.notifyTx(trx, 'cert.revoked', { issuerId: 'i', serial: '02', reason: 'keyCompromise', revokedAt: 'x' });
        throw new Error('rolled back');
      }),
    );
    assert.ok(await until(() => got.length >= 1));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got, ['01']);
  } finally {
    await a.close();
    await b.close();
    await t.cleanup();
  }
});

test('PostgreSQL: NOTIFY crosses nodes at commit, and a killed listener triggers resync and recovers', async () => {
  const schema = `ev_${randomBytes(5).toString('hex')}`;
  const db = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema] });
  const channel = `gatehouse_events_${schema}`;
  const a = new EventBus('node-a', silentLogger(), channel);
  const b = new EventBus('node-b', silentLogger(), channel);
  try {
    await b.listen(PG_URL, { heartbeatMs: 200 });
    const got: string[] = [];
    let resyncs = 0;
    b.subscribe('cert.revoked', (e) => void got.push(e.serial));
    b.subscribe('bus.resync', () => void resyncs++);
    await withTx(db, (trx) => a.notifyTx(trx, 'cert.revoked', { issuerId: 'i', serial: 'aa', reason: 'superseded', revokedAt: 'x' }));
    assert.ok(await until(() => got.includes('aa')), 'delivered to the other node');
    // kill b's LISTEN connection from the server side
    await db.raw("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'gh-events-node-b'");
    assert.ok(await until(() => resyncs >= 1), 'resync emitted when the link died');
    assert.ok(await until(() => resyncs >= 2, 8000), 'resync emitted again after reconnecting');
    await withTx(db, (trx) => a.notifyTx(trx, 'cert.revoked', { issuerId: 'i', serial: 'bb', reason: 'superseded', revokedAt: 'x' }));
    assert.ok(await until(() => got.includes('bb')), 'delivery works after the reconnect');
  } finally {
    await a.close();
    await b.close();
    await db.destroy();
  }
});
