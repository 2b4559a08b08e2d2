/**
 * SQLite write transactions start with BEGIN IMMEDIATE (knex.ts): a transaction that reads and
 * then writes (the audit head) takes the write lock first, so another process writing meanwhile
 * waits for it instead of invalidating its snapshot (deferred BEGIN: SQLITE_BUSY_SNAPSHOT at the
 * first write, immediately, whatever busy_timeout says). Two real processes share one file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditLog, auditMigrations, verifyAuditDb } from '../../../../platform/audit/index.ts';
import { withTx } from '../../../../platform/db/index.ts';
import { createTestDb, testDbKind } from '../../../helpers/db.ts';

const sqliteOnly =
  testDbKind() !== 'sqlite' ? 'SQLite only (PostgreSQL locks the audit head with SELECT ... FOR UPDATE)' : false;

function startWriter(
  file: string,
  mode: string,
): { child: ChildProcessByStdio<Writable, Readable, null>; next: (match: RegExp) => Promise<string> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'sqlite-writer-child.ts'), file, mode],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (match: RegExp): Promise<string> => {
    for (;;) {
      const i = lines.findIndex((l) => match.test(l));
      if (i >= 0) return lines.splice(0, i + 1)[i] as string;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { child, next };
}

test(
  'a read-then-write transaction is not failed by another process committing after its read',
  { skip: sqliteOnly, timeout: 60_000 },
  async () => {
    const t = await createTestDb([]);
    await t.db.schema.createTable('bi_items', (tb) => tb.string('id', 32).primary());
    await t.db.schema.createTable('bi_head', (tb) => {
      tb.integer('id').primary();
      tb.integer('n');
    });
    await t.db('bi_head').insert({ id: 1, n: 0 });
    const w = startWriter(t.dbOptions.sqlitePath, 'one');
    try {
      await w.next(/^ready$/);
      let childDone: Promise<string> | undefined;
      await withTx(t.db, async (trx) => {
        const head = (await trx('bi_head').where({ id: 1 }).first()) as { n: number };
        w.child.stdin.write('go\n');
        await w.next(/^writing$/);
        // with a deferred BEGIN the other process commits now; with BEGIN IMMEDIATE it waits for us
        childDone = w.next(/^committed|^failed/);
        await Promise.race([childDone, sleep(1500)]);
        await trx('bi_head')
          .where({ id: 1 })
          .update({ n: head.n + 1 });
        await trx('bi_items').insert({ id: 'parent' });
      });
      assert.equal(await childDone, 'committed', 'the other process got its turn after our commit');
      assert.deepEqual(
        (await t.db('bi_items').orderBy('id')).map((r: { id: string }) => r.id),
        ['child', 'parent'],
      );
      assert.equal(((await t.db('bi_head').first()) as { n: number }).n, 1);
    } finally {
      w.child.kill();
      await t.cleanup();
    }
  },
);

test(
  'audit appends from this process and a CLI process at the same time all succeed and chain',
  { skip: sqliteOnly, timeout: 120_000 },
  async () => {
    const t = await createTestDb(auditMigrations);
    const audit = new AuditLog(t.db, {
      nodeId: 'node',
      key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      keyId: 'node',
      checkpointEvery: 1_000_000,
      checkpointMinutes: 60,
    });
    await audit.init();
    const w = startWriter(t.dbOptions.sqlitePath, 'audit:60');
    try {
      await w.next(/^ready$/);
      w.child.stdin.write('go\n');
      let failed = 0;
      for (let i = 0; i < 60; i++)
        await audit.record({ actor: 'node', action: 'test.parent', target: String(i) }).catch(() => failed++);
      const done = await w.next(/^done /);
      assert.equal(failed, 0, 'parent appends');
      assert.equal(done, 'done 60 0 -', 'child appends');
      const v = await verifyAuditDb(t.db);
      assert.equal(v.ok, true, JSON.stringify(v.firstBad));
      assert.equal(v.entries, 120);
    } finally {
      w.child.kill();
      await t.cleanup();
    }
  },
);
