import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTbs } from '../../../ca/cert-parse.ts';
import { compactViews, PreparePool } from '../../../ca/prepare-pool.ts';
import type { PrepareInput } from '../../../ca/prepare.ts';
import { isAppError } from '../../../platform/errors.ts';
import { makeCsr } from '../../helpers/pki.ts';
import { grant, memoryIssuer, NOW, profiles } from './fixtures.ts';

function input(csrDer = makeCsr().csrDer, g = grant()): PrepareInput {
  const i = memoryIssuer();
  return { csrDer, grant: g, profile: profiles.get(g.profile)!, issuer: { ...i, keyAlgorithm: i.signer.algorithm }, now: NOW };
}

test('a worker and the inline path prepare the same kind of TBS and raise the same codes', async () => {
  const inline = new PreparePool(0, [...profiles.values()]);
  const pool = new PreparePool(1, [...profiles.values()]);
  try {
    assert.equal(pool.size, 1);
    const same = input();
    const [a, b] = await Promise.all([inline.run(same), pool.run(same)]);
    assert.ok(Buffer.isBuffer(b.tbs));
    const [ta, tb] = [parseTbs(a.tbs), parseTbs(b.tbs)];
    assert.deepEqual({ ...tb, serialContent: null }, { ...ta, serialContent: null }, 'same TBS apart from the serial');
    assert.notEqual(a.serialHex, b.serialHex);
    assert.equal(b.notAfter.getTime(), a.notAfter.getTime());
    const bad = Buffer.from(makeCsr().csrDer);
    bad[bad.length - 2] = (bad[bad.length - 2] as number) ^ 0x55;
    for (const p of [inline, pool]) {
      await assert.rejects(p.run(input(bad)), (e) => isAppError(e, 'ERR_CSR_SIGNATURE'));
      await assert.rejects(p.run(input(undefined, grant({ sans: { email: ['a@example.com'] } }))), (e) => isAppError(e, 'ERR_PROFILE_POLICY'));
      await assert.rejects(p.run(input(makeCsr('RSA-1024').csrDer)), (e) => isAppError(e, 'ERR_KEY_POLICY'));
    }
    // functions in the grant (Grant.onReserve) never reach the worker
    await pool.run(input(undefined, grant({ onReserve: async () => undefined })));
  } finally {
    await inline.close();
    await pool.close();
  }
});

test('a dying worker fails only its own jobs and is replaced; close() refuses new work', async () => {
  const pool = new PreparePool(1, [...profiles.values()]);
  try {
    await pool.run(input());
    const slot = (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots[0]!;
    const inFlight = pool.run(input());
    await slot.worker.terminate();
    await assert.rejects(inFlight, (e) => isAppError(e, 'ERR_INTERNAL'));
    const again = await pool.run(input());
    assert.ok(again.tbs.length > 100, 'a new worker took over');
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.run(input()), (e) => isAppError(e, 'ERR_ISSUER_UNAVAILABLE'));
});

test('verifyCsr on a worker returns the same parsed CSR, with Buffers, and the same error codes', async () => {
  const inline = new PreparePool(0, [...profiles.values()]);
  const pool = new PreparePool(1, [...profiles.values()]);
  try {
    const { csrDer } = makeCsr('P-256', { subject: { commonName: 'cam-7' }, challengePassword: 'a1b2' });
    const [a, b] = await Promise.all([inline.verifyCsr(csrDer), pool.verifyCsr(csrDer)]);
    for (const k of ['der', 'infoDer', 'subjectDer', 'spkiDer'] as const) assert.ok(Buffer.isBuffer(b[k]), `${k} is a Buffer`);
    assert.deepEqual(b, a);
    assert.equal(b.subject, 'CN=cam-7');
    assert.equal(b.challengePassword, 'a1b2');
    const bad = Buffer.from(csrDer);
    bad[bad.length - 2] = (bad[bad.length - 2] as number) ^ 0x55;
    for (const p of [inline, pool]) {
      await assert.rejects(p.verifyCsr(bad), (e) => isAppError(e, 'ERR_CSR_SIGNATURE'));
      await assert.rejects(p.verifyCsr(Buffer.from('garbage')), (e) => isAppError(e, 'ERR_CSR_MALFORMED'));
    }
  } finally {
    await inline.close();
    await pool.close();
  }
  await assert.rejects(pool.verifyCsr(makeCsr().csrDer), (e) => isAppError(e, 'ERR_ISSUER_UNAVAILABLE'));
});

test('a CSR verified by verifyCsr is prepared without a second verification, and the profile key policy still applies', async () => {
  const pool = new PreparePool(1, [...profiles.values()]);
  try {
    const ok = makeCsr();
    const verified = await pool.verifyCsr(ok.csrDer);
    const p = await pool.run({ ...input(ok.csrDer), verified });
    assert.ok(Buffer.isBuffer(p.tbs) && p.tbs.length > 100);
    // `verified` stands for the signature check: a CSR with a broken signature passes through
    // (which is why only CaService, for the very Buffer it verified, ever sets it)
    const bad = Buffer.from(ok.csrDer);
    bad[bad.length - 2] = (bad[bad.length - 2] as number) ^ 0x55;
    await assert.doesNotReject(pool.run({ ...input(bad), verified }));
    const weak = makeCsr('RSA-1024');
    const weakParsed = await new PreparePool(0, []).verifyCsr(weak.csrDer).catch((e: unknown) => e);
    assert.ok(isAppError(weakParsed, 'ERR_KEY_POLICY'), 'the default policy already refuses RSA-1024');
  } finally {
    await pool.close();
  }
});

test('compactViews gives every partial Buffer view its own exact-size memory before a postMessage', () => {
  const slab = Buffer.alloc(8192, 7);
  const view = slab.subarray(100, 130);
  const whole = Buffer.alloc(3, 1); // Buffer.alloc never uses the pool slab
  const when = new Date(0);
  const out = compactViews({ a: view, list: [view, { b: view }], whole, when, n: 1, s: 'x', none: null });
  const check = (u: Uint8Array) => {
    assert.equal(u.buffer.byteLength, 30, 'no slab behind it');
    assert.deepEqual(Buffer.from(u), view);
  };
  check(out.a);
  check(out.list[0] as Uint8Array);
  check((out.list[1] as { b: Uint8Array }).b);
  assert.equal(out.whole, whole, 'a Buffer that owns its whole ArrayBuffer is kept as is');
  assert.equal(out.when, when);
  assert.deepEqual([out.n, out.s, out.none], [1, 'x', null]);
  out.a[0] = 0;
  assert.equal(view[0], 7, 'a copy, not the original memory');
});
