import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caMigrations } from '../../../../ca/migrations.ts';
import { crlStore, type CrlRow } from '../../../../ca/crl/index.ts';
import { createDb, withTx, type Db } from '../../../../platform/db/index.ts';
import { createTestDb, testDbKind } from '../../../helpers/db.ts';
import { insertCerts, insertIssuerRow, loadedIssuer, softIssuer } from './helpers.ts';

const NOW = Math.floor(Date.now() / 1000);

async function setup() {
  const t = await createTestDb(caMigrations);
  for (const id of ['i1', 'i2']) await insertIssuerRow(t.db, loadedIssuer(id, softIssuer()));
  return t;
}

async function fullRows(db: Db, issuerId: string, asOf: number, pageSize: number): Promise<CrlRow[]> {
  const out: CrlRow[] = [];
  await withTx(db, async (trx) => {
    for await (const page of crlStore.revokedPages(trx, issuerId, asOf, pageSize)) {
      assert.ok(page.length > 0 && page.length <= pageSize);
      out.push(...page);
    }
  });
  return out;
}

test('CRL numbers: +1 per allocation, per issuer, seeded above any stored CRL', async () => {
  const t = await setup();
  try {
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(await crlStore.withNextNumber(t.db, 'i1', async (n) => n));
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
    // i2 has no state row but an old CRL numbered 41 (e.g. restored data): continue above it
    await withTx(t.db, (trx) =>
      crlStore.insert(trx, {
        issuerId: 'i2',
        number: 41,
        delta: false,
        baseNumber: null,
        thisUpdate: new Date(),
        nextUpdate: new Date(Date.now() + 1e6),
        entries: 0,
        der: Buffer.from([0x30, 0]),
      }),
    );
    assert.equal(await crlStore.withNextNumber(t.db, 'i2', async (n) => n), 42);
    // the number is committed even when the build that follows fails (a gap, never a reuse)
    await assert.rejects(crlStore.withNextNumber(t.db, 'i1', async () => Promise.reject(new Error('build failed'))));
    const next = await crlStore.withNextNumber(t.db, 'i1', async (n) => n);
    assert.ok(next === 6 || next === 7, `next ${next}`); // PostgreSQL rolls the failed read back with its number
    assert.ok(next > 5);
  } finally {
    await t.cleanup();
  }
});

test('complete CRL rows: revoked and not expired, this issuer only, reserved-never-issued kept; paged', async () => {
  const t = await setup();
  try {
    const want = await insertCerts(t.db, 'i1', [
      { state: 'revoked', revokedAt: NOW - 50, reason: 'keyCompromise', invalidityDate: NOW - 100 },
      { state: 'revoked', revokedAt: NOW - 40, reason: 'certificateHold' },
      { state: 'revoked', revokedAt: NOW - 30, reason: 'unspecified', notAfter: NOW }, // expires exactly now: still listed
      { state: 'revoked', revokedAt: NOW - 20, reason: 'superseded', notAfter: null }, // reserved, never issued
      ...Array.from({ length: 7 }, () => ({
        state: 'revoked' as const,
        revokedAt: NOW - 10,
        reason: 'affiliationChanged',
      })),
    ]);
    await insertCerts(t.db, 'i1', [
      { state: 'revoked', revokedAt: NOW - 9000, reason: 'keyCompromise', notAfter: NOW - 1 }, // expired: dropped
      { state: 'issued' },
      { state: 'reserved', notAfter: null },
      { state: 'issued', holdReleasedAt: NOW - 5 },
    ]);
    await insertCerts(t.db, 'i2', [{ state: 'revoked', revokedAt: NOW - 5, reason: 'keyCompromise' }]);
    const rows = await fullRows(t.db, 'i1', NOW, 3);
    assert.deepEqual(rows.map((r) => r.serial).sort(), [...want].sort());
    const first = rows.find((r) => r.serial === want[0])!;
    assert.deepEqual(first, {
      serial: want[0],
      revokedAt: NOW - 50,
      reason: 'keyCompromise',
      invalidityDate: NOW - 100,
    });
    // a second later the certificate that expired "now" is gone, nothing else
    const later = await fullRows(t.db, 'i1', NOW + 1, 1000);
    assert.deepEqual(later.map((r) => r.serial).sort(), want.filter((s) => s !== want[2]).sort());
  } finally {
    await t.cleanup();
  }
});

test('delta rows: revoked since, plus released holds as removeFromCRL, capped', async () => {
  const t = await setup();
  try {
    const [recent, , released] = await insertCerts(t.db, 'i1', [
      { state: 'revoked', revokedAt: NOW - 10, reason: 'keyCompromise' },
      { state: 'revoked', revokedAt: NOW - 5000, reason: 'keyCompromise' }, // before the base
      { state: 'issued', holdReleasedAt: NOW - 3 },
      { state: 'issued', holdReleasedAt: NOW - 6000 }, // released before the base
      { state: 'revoked', revokedAt: NOW - 2, reason: 'superseded', notAfter: NOW - 1 }, // expired
    ]);
    const rows = await withTx(t.db, (trx) => crlStore.changedSince(trx, 'i1', NOW - 100, NOW, 10));
    assert.deepEqual(
      rows.map((r) => [r.serial, r.reason, r.revokedAt]).sort(),
      [
        [recent, 'keyCompromise', NOW - 10],
        [released, 'removeFromCRL', NOW - 3],
      ].sort(),
    );
    const capped = await crlStore.changedSince(t.db, 'i1', 0, NOW, 1);
    assert.equal(capped.length, 2, 'limit + 1 rows tell the caller the delta overflowed');
  } finally {
    await t.cleanup();
  }
});

test('prune keeps the newest CRLs whole and valid older complete CRLs as metadata', async () => {
  const t = await setup();
  try {
    const mk = (number: number, delta: boolean, next: number) =>
      withTx(t.db, (trx) =>
        crlStore.insert(trx, {
          issuerId: 'i1',
          number,
          delta,
          baseNumber: delta ? 1 : null,
          thisUpdate: new Date((NOW - 100) * 1000),
          nextUpdate: new Date(next * 1000),
          entries: 1,
          der: Buffer.from([0x30, 0x00]),
        }),
      );
    await mk(1, false, NOW - 1); // expired
    await mk(2, false, NOW + 1000);
    await mk(3, true, NOW + 1000);
    await mk(4, false, NOW + 1000);
    await mk(5, true, NOW + 1000);
    await mk(6, false, NOW + 1000);
    await crlStore.prune(t.db, 'i1', false, 2, NOW);
    await crlStore.prune(t.db, 'i1', true, 1, NOW);
    assert.equal(await crlStore.byNumber(t.db, 'i1', 1), null);
    assert.equal((await crlStore.byNumber(t.db, 'i1', 2))!.der.length, 0);
    assert.equal(await crlStore.byNumber(t.db, 'i1', 3), null);
    assert.equal((await crlStore.byNumber(t.db, 'i1', 4))!.der.length, 2);
    assert.equal((await crlStore.oldestValidFull(t.db, 'i1', NOW))!.number, 2);
    assert.equal((await crlStore.latestMeta(t.db, 'i1', false))!.number, 6);
    assert.equal((await crlStore.latestMeta(t.db, 'i1', true))!.number, 5);
  } finally {
    await t.cleanup();
  }
});

test('two nodes (two pools on one PostgreSQL schema) allocating concurrently get distinct, increasing numbers', async (tc) => {
  // several nodes share PostgreSQL only; two SQLite connections in ONE process would block each
  // other's event loop (better-sqlite3 waits synchronously), which no deployment does
  if (testDbKind() !== 'pg') return tc.skip('multi-node runs on PostgreSQL (GATEHOUSE_TEST_DB=pg)');
  const t = await setup();
  const other = await createDb(t.dbOptions);
  try {
    const got: number[] = [];
    const node = (db: Db) =>
      (async () => {
        for (let i = 0; i < 25; i++) got.push(await crlStore.withNextNumber(db, 'i1', async (n) => n));
      })();
    await Promise.all([node(t.db), node(other)]);
    assert.equal(new Set(got).size, 50);
    assert.deepEqual(
      [...got].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  } finally {
    await other.destroy();
    await t.cleanup();
  }
});
