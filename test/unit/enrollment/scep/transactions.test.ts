/**
 * ScepTransactions on the real table (SQLite, or PostgreSQL with GATEHOUSE_TEST_DB=pg):
 * first request owns the row, replay / conflict / busy / resume / takeover, compare-and-set
 * races, renewal scopes and poll lookups (RFC 8894 §3.2.1.1, §3.3.3).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { scepMigrations, ScepTransactions } from '../../../../enrollment/scep/index.ts';
import { scepStore } from '../../../../enrollment/scep/store.ts';
import { createTestDb, type TestDb } from '../../../helpers/db.ts';

let t: TestDb;
let clock = 1_700_000_000_000;
let tx: ScepTransactions;
before(async () => {
  t = await createTestDb(scepMigrations);
  tx = new ScepTransactions(t.db, () => clock, 120_000);
});
after(() => t.cleanup());

const req = (o: { id?: string; csr?: Buffer; type?: 17 | 19; signer?: Buffer; spki?: Buffer } = {}) => ({
  transactionId: o.id ?? `tx-${randomBytes(6).toString('hex')}`,
  messageType: o.type ?? (19 as const),
  signerCertDer: o.signer ?? randomBytes(40),
  signerSpkiDer: o.spki ?? Buffer.from('spki-a'),
  csrDer: o.csr ?? randomBytes(64),
  label: undefined,
});

describe('ScepTransactions', () => {
  it('first request owns the row; a repeat while in flight is busy; after success it replays', async () => {
    const r = req();
    const first = await tx.begin(r);
    assert.equal(first.kind, 'new');
    assert.equal((await tx.begin(r)).kind, 'busy');
    if (first.kind !== 'new') return;
    assert.ok(await tx.finish(first.handle, { status: 'success', issuerId: 'iss-1', serial: 'abc' }));
    const again = await tx.begin({ ...r, signerCertDer: randomBytes(40) }); // new self-signed cert on retry
    assert.equal(again.kind, 'replay');
    if (again.kind === 'replay') assert.deepEqual([again.row.issuer_id, again.row.serial], ['iss-1', 'abc']);
  });

  it('a different CSR under a known transactionID is a conflict', async () => {
    const r = req();
    await tx.begin(r);
    assert.equal((await tx.begin({ ...r, csrDer: randomBytes(64) })).kind, 'conflict');
  });

  it('failure rows are processed again; pending-for-approval rows resume once at a time', async () => {
    const r = req();
    const s = await tx.begin(r);
    if (s.kind !== 'new') throw new Error(s.kind);
    await tx.finish(s.handle, { status: 'failure', failInfo: 'badRequest' });
    const retry = await tx.begin(r);
    assert.equal(retry.kind, 'new');
    if (retry.kind !== 'new') return;
    await tx.finish(retry.handle, { status: 'pending', requestId: 'req-1' });
    const [a, b] = await Promise.all([tx.begin(r), tx.begin(r)]);
    assert.deepEqual([a.kind, b.kind].sort(), ['busy', 'resume']);
  });

  it('an abandoned in-flight row (crash) is taken over after staleMs, by exactly one worker', async () => {
    const r = req();
    await tx.begin(r);
    clock += 60_000;
    assert.equal((await tx.begin(r)).kind, 'busy');
    clock += 61_000;
    const [a, b] = await Promise.all([tx.begin(r), tx.begin(r)]);
    assert.deepEqual([a.kind, b.kind].sort(), ['busy', 'new']);
  });

  it('finish() loses to a takeover that happened meanwhile (compare-and-set)', async () => {
    const r = req();
    const s = await tx.begin(r);
    if (s.kind !== 'new') throw new Error(s.kind);
    clock += 130_000;
    assert.equal((await tx.begin(r)).kind, 'new');
    assert.equal(await tx.finish(s.handle, { status: 'success', issuerId: 'i', serial: '1' }), false);
  });

  it('RenewalReq with the same transactionID and CSR is a new transaction per signer certificate', async () => {
    const csr = randomBytes(64);
    const id = `tx-renew-${randomBytes(4).toString('hex')}`;
    const enroll = await tx.begin(req({ id, csr }));
    if (enroll.kind !== 'new') throw new Error(enroll.kind);
    await tx.finish(enroll.handle, { status: 'success', issuerId: 'i', serial: '1' });
    const cert1 = randomBytes(40);
    assert.equal((await tx.begin(req({ id, csr, type: 17, signer: cert1 }))).kind, 'new');
    assert.equal((await tx.begin(req({ id, csr, type: 17, signer: randomBytes(40) }))).kind, 'new');
    assert.equal((await tx.begin(req({ id, csr, type: 17, signer: cert1 }))).kind, 'busy');
    assert.equal((await tx.begin(req({ id, csr: randomBytes(64), type: 17, signer: cert1 }))).kind, 'conflict');
  });

  it('forPoll finds the transaction only for the key that signed the request', async () => {
    const r = req({ spki: Buffer.from('spki-poll') });
    await tx.begin(r);
    assert.equal((await tx.forPoll(r.transactionId, Buffer.from('spki-poll')))?.transaction_id, r.transactionId);
    assert.equal(await tx.forPoll(r.transactionId, Buffer.from('spki-other')), null);
    assert.equal(await tx.forPoll('unknown', Buffer.from('spki-poll')), null);
  });

  it('the store reads BIGINT and BLOB columns back as numbers and Buffers', async () => {
    const r = req();
    await tx.begin(r);
    const row = await scepStore.get(t.db, r.transactionId, 'enroll');
    assert.equal(typeof row?.created_at, 'number');
    assert.ok(Buffer.isBuffer(row?.csr_der) && row.csr_der.equals(r.csrDer));
  });
});
