import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit, type Db } from '../../../../platform/db/index.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { createTestDb, type TestDb } from '../../../helpers/db.ts';

async function setup(): Promise<TestDb> {
  const t = await createTestDb([]);
  await t.db.schema.createTable('gc_parent', (tb) => tb.integer('id').primary());
  await t.db.schema.createTable('gc_items', (tb) => {
    tb.string('id', 32).primary();
    tb.integer('n');
  });
  return t;
}

const insert = (id: string, n = 1) => async (trx: Db) => {
  await trx('gc_items').insert({ id, n });
  return id;
};

test('concurrent callers share transactions and each gets its own result after the commit', async () => {
  const t = await setup();
  const gc = new GroupCommit(t.db, { maxBatch: 64 });
  try {
    const ids = Array.from({ length: 200 }, (_, i) => `k${i}`);
    const got = await Promise.all(ids.map((id) => gc.run(insert(id))));
    assert.deepEqual(got, ids);
    assert.equal((await t.db('gc_items')).length, 200);
    assert.ok(gc.stats.groups <= 10, JSON.stringify(gc.stats));
    assert.ok(gc.stats.largest <= 64);
    assert.equal(gc.stats.replays, 0);
  } finally {
    await gc.close();
    await t.cleanup();
  }
});

test('one failing caller is rejected alone: its partial writes roll back, the others commit (savepoint replay)', async () => {
  const t = await setup();
  const gc = new GroupCommit(t.db);
  try {
    const ops = Array.from({ length: 30 }, (_, i) =>
      gc.run(async (trx) => {
        await trx('gc_items').insert({ id: `p${i}`, n: i });
        if (i === 7) throw new Error('boom 7');
        if (i === 21) await trx('gc_items').insert({ id: 'p0', n: 0 }); // duplicate key
        return i;
      }),
    );
    const res = await Promise.allSettled(ops);
    const rejected = res.map((r, i) => (r.status === 'rejected' ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(rejected, [7, 21]);
    assert.match(String((res[7] as PromiseRejectedResult).reason), /boom 7/);
    const ids = (await t.db('gc_items').select('id')).map((r: { id: string }) => r.id).sort();
    assert.equal(ids.length, 28);
    assert.ok(!ids.includes('p7') && !ids.includes('p21'), 'partial writes of failed callers rolled back');
    assert.ok(gc.stats.replays >= 1);
  } finally {
    await gc.close();
    await t.cleanup();
  }
});

test('a failing COMMIT rejects every caller of the group and none of its writes is visible', async () => {
  const t = await setup();
  await t.db.schema.dropTable('gc_items');
  // a deferred foreign key is only checked at COMMIT
  await t.db.raw('create table gc_items (id varchar(32) primary key, n integer references gc_parent(id) deferrable initially deferred)');
  await t.db('gc_parent').insert({ id: 1 });
  const gc = new GroupCommit(t.db);
  try {
    const res = await Promise.allSettled([gc.run(insert('a', 1)), gc.run(insert('b', 999)), gc.run(insert('c', 1))]);
    assert.deepEqual(res.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    assert.equal((await t.db('gc_items')).length, 0);
    // the committer recovers for the next group
    assert.equal(await gc.run(insert('d', 1)), 'd');
  } finally {
    await gc.close();
    await t.cleanup();
  }
});

test('close() finishes queued work, then refuses new work with ERR_STORE_UNAVAILABLE', async () => {
  const t = await setup();
  const gc = new GroupCommit(t.db);
  try {
    const pending = Array.from({ length: 10 }, (_, i) => gc.run(insert(`c${i}`)));
    await gc.close();
    assert.equal((await Promise.all(pending)).length, 10);
    await assert.rejects(gc.run(insert('late')), (e) => isAppError(e, 'ERR_STORE_UNAVAILABLE'));
  } finally {
    await t.cleanup();
  }
});
