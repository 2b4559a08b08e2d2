/**
 * Audit appends in a GroupCommit group share one head read and one head write (throughput,
 * issue #2) while every change keeps its own chained entry: the chain verifier passes, sequence
 * numbers stay contiguous, checkpoints land where they would, and the entries of callers
 * rejected in the savepoint replay are dropped with them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { AuditLog, auditMigrations, verifyAuditDb } from '../../../platform/audit/index.ts';
import { GroupCommit, withTx, type Db } from '../../../platform/db/index.ts';
import { createTestDb, type TestDb } from '../../helpers/db.ts';

async function setup(
  checkpointEvery = 1_000_000,
): Promise<{ t: TestDb; audit: AuditLog; gc: GroupCommit; headQueries: { reads: number; writes: number } }> {
  const t = await createTestDb(auditMigrations);
  await t.db.schema.createTable('ab_items', (tb) => tb.string('id', 32).primary());
  const audit = new AuditLog(t.db, {
    nodeId: 'n1',
    key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    keyId: 'k1',
    checkpointEvery,
    checkpointMinutes: 60,
  });
  await audit.init();
  const headQueries = { reads: 0, writes: 0 };
  t.db.on('query', (q: { sql: string }) => {
    if (/^select .*audit_head/i.test(q.sql)) headQueries.reads++;
    if (/^update .*audit_head/i.test(q.sql)) headQueries.writes++;
  });
  return { t, audit, gc: new GroupCommit(t.db, { maxBatch: 64 }), headQueries };
}

const change =
  (audit: AuditLog, id: string, entries = 1) =>
  async (trx: Parameters<Parameters<GroupCommit['run']>[0]>[0]) => {
    await trx('ab_items').insert({ id });
    const seqs: number[] = [];
    for (let i = 0; i < entries; i++)
      seqs.push(await audit.append(trx, { actor: 'test', action: 'item.add', target: id, data: { i } }));
    return seqs;
  };

async function entries(db: Db): Promise<Array<{ seq: number; target: string }>> {
  return (await db('audit_log').orderBy('seq').select('seq', 'target')).map(
    (r: { seq: number | string; target: string }) => ({ seq: Number(r.seq), target: r.target }),
  );
}

test('one head read and one head write per group; one chained entry per change', async () => {
  const { t, audit, gc, headQueries } = await setup();
  try {
    const res = await Promise.all(
      Array.from({ length: 150 }, (_, i) => gc.run(change(audit, `c${i}`, i % 3 === 0 ? 2 : 1))),
    );
    const all = res.flat().sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: all.length }, (_, i) => i + 1),
      'contiguous sequence numbers, as returned',
    );
    assert.equal(all.length, 200);
    assert.ok(gc.stats.groups < 150, `batched: ${JSON.stringify(gc.stats)}`);
    assert.equal(headQueries.reads, gc.stats.groups, 'one head read per group');
    assert.equal(headQueries.writes, gc.stats.groups, 'one head write per group');
    const v = await verifyAuditDb(t.db);
    assert.equal(v.ok, true, JSON.stringify(v.firstBad));
    assert.equal(v.entries, 200);
    // a lone append (withTx) continues the same chain
    await withTx(t.db, (trx) => audit.append(trx, { actor: 'test', action: 'lone' }));
    assert.equal((await verifyAuditDb(t.db)).entries, 201);
  } finally {
    await gc.close();
    await t.cleanup();
  }
});

test('callers rejected in the savepoint replay leave no entries and no gap, whenever they fail', async () => {
  const { t, audit, gc } = await setup();
  try {
    const ops = Array.from({ length: 40 }, (_, i) =>
      gc.run(async (trx) => {
        // caller 0 fails after creating the group's head batch, others after appending
        if (i === 0) {
          await audit.append(trx, { actor: 'test', action: 'item.add', target: 'f0' });
          throw new Error('fail 0');
        }
        const seqs = await change(audit, `r${i}`, 2)(trx);
        if (i % 7 === 3) throw new Error(`fail ${i}`);
        return seqs;
      }),
    );
    const res = await Promise.allSettled(ops);
    const failed = res.map((r, i) => (r.status === 'rejected' ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(failed, [0, 3, 10, 17, 24, 31, 38]);
    assert.ok(gc.stats.replays >= 1);
    const rows = await entries(t.db);
    assert.equal(rows.length, (40 - failed.length) * 2);
    assert.deepEqual(
      rows.map((r) => r.seq),
      rows.map((_, i) => i + 1),
      'no gap',
    );
    assert.ok(!rows.some((r) => ['f0', 'r3', 'r10', 'r17'].includes(r.target)), 'rejected callers left nothing');
    const v = await verifyAuditDb(t.db);
    assert.equal(v.ok, true, JSON.stringify(v.firstBad));
  } finally {
    await gc.close();
    await t.cleanup();
  }
});

test('an entry the database refuses fails only its own caller (flushed per caller in the replay)', async () => {
  const { t, audit, gc } = await setup();
  try {
    let poison = 'poison';
    if (t.kind === 'sqlite') {
      await t.db.raw("create trigger ab_poison before insert on audit_log when new.actor = 'poison' begin select raise(abort, 'poisoned entry'); end");
    } else {
      poison = 'p'.repeat(300); // actor is varchar(256) on PostgreSQL
    }
    const res = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        gc.run(async (trx) => {
          await trx('ab_items').insert({ id: `p${i}` });
          return audit.append(trx, { actor: i === 5 ? poison : 'test', action: 'item.add', target: `p${i}` });
        }),
      ),
    );
    assert.deepEqual(
      res.map((r, i) => (r.status === 'rejected' ? i : -1)).filter((i) => i >= 0),
      [5],
    );
    const rows = await entries(t.db);
    assert.equal(rows.length, 19);
    assert.ok(!rows.some((r) => r.target === 'p5'));
    assert.equal((await t.db('ab_items').where({ id: 'p5' })).length, 0, "the failed caller's own write rolled back too");
    const v = await verifyAuditDb(t.db);
    assert.equal(v.ok, true, JSON.stringify(v.firstBad));
  } finally {
    await gc.close();
    await t.cleanup();
  }
});

test('a batched writer in a nested transaction of a group is refused, not silently forked', async () => {
  const { t, audit, gc } = await setup();
  try {
    const res = await Promise.allSettled([
      gc.run(change(audit, 'n1')),
      gc.run((trx) => trx.transaction((nested) => audit.append(nested, { actor: 'test', action: 'nested' }))),
      gc.run(change(audit, 'n2')),
    ]);
    assert.deepEqual(
      res.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((res[1] as PromiseRejectedResult).reason), /nested transaction/);
    const v = await verifyAuditDb(t.db);
    assert.equal(v.ok, true, JSON.stringify(v.firstBad));
    assert.equal(v.entries, 2);
  } finally {
    await gc.close();
    await t.cleanup();
  }
});

test('signed checkpoints inside a batch land every checkpointEvery entries and verify', async () => {
  const { t, audit, gc } = await setup(7);
  try {
    await Promise.all(Array.from({ length: 50 }, (_, i) => gc.run(change(audit, `k${i}`))));
    const cps = (await t.db('audit_checkpoints').orderBy('seq')).map((r: { seq: number | string }) => Number(r.seq));
    assert.deepEqual(cps, [7, 14, 21, 28, 35, 42, 49]);
    const head = await t.db('audit_head').first();
    assert.equal(Number(head.checkpoint_seq), 49);
    const v = await verifyAuditDb(t.db);
    assert.equal(v.ok, true, JSON.stringify(v.firstBad));
    assert.equal(v.checkpoints, 7);
  } finally {
    await gc.close();
    await t.cleanup();
  }
});
