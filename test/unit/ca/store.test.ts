/**
 * ca/store.ts: listCerts always applies a limit (knex drops limit(NaN), which returned every
 * row), and unique violations leave as ERR_CONFLICT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTx } from '../../../platform/db/index.ts';
import { isAppError } from '../../../platform/errors.ts';
import { boundedInt, caStore } from '../../../ca/store.ts';
import { createTestCa } from '../../helpers/pki.ts';

test('boundedInt: safe integers are clamped, anything else is the default', () => {
  assert.equal(boundedInt(50, 100, 1, 10_000), 50);
  assert.equal(boundedInt(0, 100, 1, 10_000), 1);
  assert.equal(boundedInt(-5, 100, 1, 10_000), 1);
  assert.equal(boundedInt(1e6, 100, 1, 10_000), 10_000);
  for (const v of [NaN, Infinity, -Infinity, 2.5, 2 ** 60, '20', null, undefined, {}])
    assert.equal(boundedInt(v, 100, 1, 10_000), 100, String(v));
});

test('listCerts keeps a limit for any limit/offset value; a duplicate reservation is ERR_CONFLICT', async () => {
  const t = await createTestCa();
  try {
    const issuerId = t.issuer.record.id;
    const row = (i: number) => ({
      issuerId,
      serial: (0x1000 + i).toString(16),
      profile: 'device-tls',
      deviceId: 'dev-l',
      subject: 'CN=dev-l',
      sans: {},
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      spkiSha256: '00'.repeat(32),
      actor: 'test',
      reservedAt: new Date(1_700_000_000_000 + i * 1000),
    });
    await withTx(t.db, async (trx) => {
      for (let i = 0; i < 130; i++) await caStore.reserve(trx, row(i));
    });
    const count = async (f: Record<string, unknown>) => (await t.ca.listCerts(f as never)).length;
    assert.equal(await count({}), 100, 'default');
    assert.equal(await count({ limit: 5 }), 5);
    for (const limit of [NaN, Number('abc'), Infinity, 2.5, '7', null])
      assert.equal(await count({ limit }), 100, `limit ${String(limit)}`);
    assert.equal(await count({ limit: -3 }), 1);
    assert.equal(await count({ limit: 1e9 }), 130, 'clamped to 10 000');
    assert.equal(await count({ limit: 50, offset: 120 }), 10);
    for (const offset of [NaN, -10, 'x'])
      assert.equal(await count({ limit: 50, offset }), 50, `offset ${String(offset)}`);
    const newest = await t.ca.listCerts({ limit: 1 });
    assert.equal(newest[0]!.serial, (0x1000 + 129).toString(16), 'newest first');
    await assert.rejects(
      withTx(t.db, (trx) => caStore.reserve(trx, row(3))),
      (e) => isAppError(e, 'ERR_CONFLICT'),
    );
  } finally {
    await t.cleanup();
  }
});
