/**
 * Issuer rollover done elsewhere reaches a running node: CaService.refreshIssuers() reloads only
 * when the store's (id, status) set changed (unchanged keys keep their signer), and
 * CaService.maintenance(now) retires expired retiring issuers exactly once across nodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaService, type Grant } from '../../../ca/index.ts';
import { createTestCa, makeCsr, TEST_PASSPHRASE } from '../../helpers/pki.ts';

const grant: Grant = { profile: 'device-tls', subject: { commonName: 'dev-rf' }, actor: 'test' };

test('a second node picks up a rollover with refreshIssuers() and retires with maintenance()', async () => {
  const t = await createTestCa();
  // "node B": another CaService on the same store, opened before the rollover
  const b = await CaService.open({
    db: t.db,
    audit: t.audit,
    bus: t.bus,
    publicUrl: t.publicUrl,
    passphrase: TEST_PASSPHRASE,
    workers: 0,
  });
  try {
    const oldId = t.issuer.record.id;
    const oldSigner = b.issuer(oldId)!.signer;
    assert.equal(await b.refreshIssuers(), false, 'nothing changed: no reload');
    assert.equal(b.issuer(oldId)!.signer, oldSigner);

    const a = await b.issue(makeCsr().csrDer, grant); // old issuer, still active on B
    const fresh = await t.addIssuer(); // registered through node A
    assert.equal(b.activeIssuer().record.id, oldId, 'B does not know yet');
    const [r1, r2] = await Promise.all([b.refreshIssuers(), b.refreshIssuers()]);
    assert.deepEqual([r1, r2], [true, true], 'concurrent calls share one refresh');
    assert.equal(b.activeIssuer().record.id, fresh.record.id);
    assert.deepEqual(
      b.issuers().map((i) => [i.record.id, i.record.status]),
      [
        [fresh.record.id, 'active'],
        [oldId, 'retiring'],
      ],
    );
    assert.equal(b.issuer(oldId)!.signer, oldSigner, 'an unchanged key is not unlocked again');
    assert.equal((await b.issue(makeCsr().csrDer, grant)).issuerId, fresh.record.id);
    assert.equal(await b.refreshIssuers(), false);

    // maintenance: nothing to retire while a certificate of the old issuer is valid
    assert.deepEqual(await b.maintenance(new Date()), []);
    const later = new Date(a.notAfter.getTime() + 1000);
    const [ra, rb] = await Promise.all([t.ca.maintenance(later), b.maintenance(later)]);
    assert.deepEqual([...ra, ...rb], [oldId], 'retired once, by one node');
    for (const node of [t.ca, b])
      assert.deepEqual(
        node.issuers().map((i) => i.record.id),
        [fresh.record.id],
        'both nodes dropped it',
      );
    assert.deepEqual(await b.status(oldId, a.serial), { state: 'unknown' });
    const retiredEntries = (await t.db('audit_log').where({ action: 'ca.issuer.status', target: oldId })).map(
      (r: { data: string }) => JSON.parse(r.data).status,
    );
    assert.deepEqual(retiredEntries, ['retiring', 'retired']);
  } finally {
    await b.close();
    await t.cleanup();
  }
});
