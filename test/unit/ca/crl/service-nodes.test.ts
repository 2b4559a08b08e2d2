import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrlService, crlStore, type PublishedCrl } from '../../../../ca/crl/index.ts';
import { createDb, type Db } from '../../../../platform/db/index.ts';
import { EventBus } from '../../../../platform/events.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { testDbKind } from '../../../helpers/db.ts';
import { insertCerts } from './helpers.ts';
import { sec, serials, setup } from './service-env.ts';

test('latest(): another node’s newer CRL is picked up from the database after its event (or when stale)', async () => {
  const e = await setup();
  try {
    const a = e.make();
    const bBus = new EventBus('n2', silentLogger());
    const b = e.make({ bus: bBus, tuning: { cacheCheckMs: 3_600_000 } });
    await b.start(); // b publishes 1 (full) and 2 (delta)
    const c = e.make({ bus: new EventBus('n3', silentLogger()), tuning: { cacheCheckMs: 0 } });
    assert.equal((await a.publish('i1')).number, 3);
    assert.equal((await b.latest('i1'))!.number, 1, 'b: cached, not told yet');
    assert.equal((await c.latest('i1'))!.number, 3, 'c: stale at once, reads the database');
    bBus.emitLocal('crl.published', { issuerId: 'i1', crlNumber: '3', delta: false }); // what LISTEN delivers
    assert.equal((await b.latest('i1'))!.number, 3);
    bBus.emitLocal('crl.published', { issuerId: 'i1', crlNumber: '2', delta: false });
    assert.equal((await b.latest('i1'))!.number, 3, 'never rolls back to a lower number');
    assert.equal((await a.publish('i1')).number, 4);
    assert.equal((await c.latest('i1'))!.number, 4);
    await b.stop();
    await bBus.close();
  } finally {
    await e.done();
  }
});

test('two nodes on one PostgreSQL schema publishing concurrently: numbers strictly increase, newer CRLs never lose a revocation', async (tc) => {
  if (testDbKind() !== 'pg') return tc.skip('multi-node runs on PostgreSQL (GATEHOUSE_TEST_DB=pg)');
  const e = await setup();
  const otherDb: Db = await createDb(e.t.dbOptions);
  try {
    const a = e.make({ tuning: { retain: 1000 } });
    const b = e.make({ db: otherDb, tuning: { retain: 1000 } });
    const got: PublishedCrl[] = [];
    let stop = false;
    const revoker = (async () => {
      while (!stop) {
        await insertCerts(e.t.db, 'i1', [{ state: 'revoked', revokedAt: sec(Date.now()), reason: 'keyCompromise' }]);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const node = async (s: CrlService) => {
      for (let i = 0; i < 12; i++) got.push(await s.publish('i1', { delta: i % 4 === 3 }));
    };
    await Promise.all([node(a), node(b)]);
    stop = true;
    await revoker;
    const numbers = got.map((c) => c.number).sort((x, y) => x - y);
    assert.equal(new Set(numbers).size, 24);
    assert.deepEqual(
      numbers,
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
    const fulls = got.filter((c) => !c.delta).sort((x, y) => x.number - y.number);
    for (let i = 1; i < fulls.length; i++) {
      const newer = new Set(serials(fulls[i]!));
      for (const s of serials(fulls[i - 1]!))
        assert.ok(newer.has(s), `CRL ${fulls[i]!.number} lost ${s} listed by ${fulls[i - 1]!.number}`);
    }
    const max = await crlStore.latestMeta(e.t.db, 'i1', false);
    assert.equal(max!.number, fulls.at(-1)!.number);
  } finally {
    await otherDb.destroy();
    await e.done();
  }
});
