/**
 * A failed COMMIT (a deferred foreign key, checked only at COMMIT) leaves no transaction behind:
 * knex does not roll back when COMMIT itself fails and SQLite keeps the transaction open on its
 * one pooled connection; knex.ts ends it. Afterwards withTx works again, nothing of the failed
 * transaction is visible, and a later write outside a transaction is really committed (seen by
 * another connection) instead of silently joining the dead transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDb, GroupCommit, withTx, type Db } from '../../../../platform/db/index.ts';
import { createTestDb, type TestDb } from '../../../helpers/db.ts';

async function setup(): Promise<TestDb> {
  const t = await createTestDb([]);
  await t.db.schema.createTable('cf_parent', (tb) => tb.integer('id').primary());
  // a deferred foreign key is only checked at COMMIT (SQLite and PostgreSQL alike)
  await t.db.raw(
    'create table cf_items (id varchar(32) primary key, parent integer references cf_parent(id) deferrable initially deferred)',
  );
  await t.db('cf_parent').insert({ id: 1 });
  return t;
}

const fkViolation = (e: unknown): boolean =>
  ['SQLITE_CONSTRAINT_FOREIGNKEY', '23503'].includes((e as { code?: string }).code ?? '');

/** Another connection to the same database (another process would see the same). */
async function otherConnection(t: TestDb): Promise<Db> {
  return createDb({ ...t.dbOptions, busyTimeoutMs: 200, poolMax: 1 });
}

async function checkRecovered(t: TestDb, label: string): Promise<void> {
  assert.deepEqual(await t.db('cf_items').select('id'), [], `${label}: nothing of the failed transaction is visible`);
  // withTx works again (was: "cannot start a transaction within a transaction")
  await withTx(t.db, (trx) => trx('cf_items').insert({ id: `${label}-ok`, parent: 1 }));
  // a write outside a transaction commits for real
  await t.db('cf_parent').insert({ id: 2 });
  const other = await otherConnection(t);
  try {
    assert.deepEqual(
      (await other('cf_items').select('id')).map((r: { id: string }) => r.id),
      [`${label}-ok`],
    );
    assert.deepEqual(
      (await other('cf_parent').orderBy('id')).map((r: { id: number }) => Number(r.id)),
      [1, 2],
      'autocommit write visible elsewhere',
    );
    // and the other connection can write: no lock is held by a leftover transaction
    await other('cf_parent').insert({ id: 3 });
  } finally {
    await other.destroy();
  }
  assert.equal((await t.db('cf_parent')).length, 3);
}

test('withTx: a failed COMMIT is rejected and the connection is usable and clean afterwards', async () => {
  const t = await setup();
  try {
    await assert.rejects(
      withTx(t.db, async (trx) => {
        await trx('cf_items').insert({ id: 'orphan', parent: 999 });
        await trx('cf_items').insert({ id: 'sibling', parent: 1 });
      }),
      fkViolation,
    );
    await checkRecovered(t, 'tx');
  } finally {
    await t.cleanup();
  }
});

test('GroupCommit: a failed group COMMIT rejects every caller, then withTx and plain writes work', async () => {
  const t = await setup();
  const gc = new GroupCommit(t.db);
  try {
    const res = await Promise.allSettled([
      gc.run((trx) => trx('cf_items').insert({ id: 'a', parent: 1 })),
      gc.run((trx) => trx('cf_items').insert({ id: 'b', parent: 999 })),
      gc.run((trx) => trx('cf_items').insert({ id: 'c', parent: 1 })),
    ]);
    assert.deepEqual(
      res.map((r) => r.status),
      ['rejected', 'rejected', 'rejected'],
    );
    for (const r of res) assert.ok(fkViolation((r as PromiseRejectedResult).reason));
    await checkRecovered(t, 'gc');
    assert.equal(
      await gc.run(async (trx) => (await trx('cf_items').insert({ id: 'gc-next', parent: 1 }), 'next')),
      'next',
    );
  } finally {
    await gc.close();
    await t.cleanup();
  }
});
