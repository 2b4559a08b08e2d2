import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { AuditLog, auditMigrations, exportAudit, verifyAuditDb, verifyAuditExport } from '../../../platform/audit/index.ts';
import { withTx } from '../../../platform/db/index.ts';
import { createTestDb } from '../../helpers/db.ts';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

async function setup(checkpointEvery = 5) {
  const t = await createTestDb(auditMigrations);
  const audit = new AuditLog(t.db, { nodeId: 'n1', key, keyId: 'k1', checkpointEvery, checkpointMinutes: 10 });
  await audit.init();
  return { ...t, audit };
}

test('chain verifies, with checkpoints every N entries', async () => {
  const t = await setup(5);
  try {
    for (let i = 0; i < 12; i++) await t.audit.record({ actor: 'tester', action: 'thing.done', target: `t${i}`, data: { i, big: 10n } });
    const r = await verifyAuditDb(t.db);
    assert.deepEqual(r, { ok: true, entries: 12, checkpoints: 2, lastSeq: 12 });
  } finally {
    await t.cleanup();
  }
});

test('the audit entry commits with the change or not at all', async () => {
  const t = await setup();
  try {
    await t.db.schema.createTable('things', (tb) => tb.string('name'));
    await assert.rejects(
      withTx(t.db, async (trx) => {
        await trx('things').insert({ name: 'x' });
        await t.audit.append(trx, { actor: 'a', action: 'thing.add' });
        throw new Error('boom after audit');
      }),
      /boom/,
    );
    assert.equal((await t.db('things')).length, 0);
    assert.equal((await t.db('audit_log')).length, 0);
    // and a failing audit write fails the change
    await t.db.schema.dropTable('audit_head');
    await assert.rejects(
      withTx(t.db, async (trx) => {
        await trx('things').insert({ name: 'y' });
        await t.audit.append(trx, { actor: 'a', action: 'thing.add' });
      }),
    );
    assert.equal((await t.db('things')).length, 0);
  } finally {
    await t.cleanup();
  }
});

test('tampering is detected and the first bad entry named', async () => {
  const t = await setup(100);
  try {
    for (let i = 0; i < 6; i++) await t.audit.record({ actor: 'a', action: 'x', data: { i } });
    await t.audit.checkpointIfDue(true);
    await t.db('audit_log').where({ seq: 4 }).update({ data: JSON.stringify({ i: 99 }) });
    let r = await verifyAuditDb(t.db);
    assert.equal(r.ok, false);
    assert.equal(r.firstBad?.seq, 4);
    assert.match(r.firstBad!.reason, /hash/);
    await t.db('audit_log').where({ seq: 4 }).update({ data: JSON.stringify({ i: 3 }) });
    assert.equal((await verifyAuditDb(t.db)).ok, true);
    await t.db('audit_log').where({ seq: 3 }).delete();
    r = await verifyAuditDb(t.db);
    assert.equal(r.firstBad?.seq, 3);
  } finally {
    await t.cleanup();
  }
});

test('a truncated tail is caught by the head and by signed checkpoints', async () => {
  const t = await setup(3);
  try {
    for (let i = 0; i < 7; i++) await t.audit.record({ actor: 'a', action: 'x' });
    await t.db('audit_log').where('seq', '>', 5).delete();
    const r = await verifyAuditDb(t.db);
    assert.equal(r.ok, false);
    assert.equal(r.firstBad?.seq, 6);
  } finally {
    await t.cleanup();
  }
});

test('export verifies offline; an edited export names the first bad line', async () => {
  const t = await setup(4);
  try {
    for (let i = 0; i < 9; i++) await t.audit.record({ actor: 'alice', action: 'cert.issue', target: `s${i}`, data: { i } });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const stats = await exportAudit(t.db, out);
    out.end();
    assert.deepEqual(stats, { entries: 9, checkpoints: 2 });
    const text = Buffer.concat(chunks).toString();
    const ok = await verifyAuditExport(Readable.from([text]));
    assert.equal(ok.ok, true);
    assert.equal(ok.checkpoints, 2);
    const lines = text.split('\n');
    const idx = lines.findIndex((l) => l.includes('"target":"s5"'));
    lines[idx] = lines[idx]!.replace('"alice"', '"mallory"');
    const bad = await verifyAuditExport(Readable.from([lines.join('\n')]));
    assert.equal(bad.ok, false);
    assert.equal(bad.firstBad?.seq, 6);
    assert.equal(bad.lineOfFirstBad, idx + 1);
    // a forged checkpoint signature
    const cpIdx = lines.findIndex((l) => l.includes('"type":"checkpoint"'));
    const fixed = text.split('\n');
    fixed[cpIdx] = fixed[cpIdx]!.replace(/"signature":"[^"]{8}/, '"signature":"AAAAAAAA');
    assert.equal((await verifyAuditExport(Readable.from([fixed.join('\n')]))).ok, false);
  } finally {
    await t.cleanup();
  }
});

test('concurrent appends form one chain', async () => {
  const t = await setup(50);
  try {
    await Promise.all(Array.from({ length: 40 }, (_, i) => t.audit.record({ actor: 'a', action: 'x', data: { i } })));
    const r = await verifyAuditDb(t.db);
    assert.equal(r.ok, true);
    assert.equal(r.entries, 40);
  } finally {
    await t.cleanup();
  }
});
