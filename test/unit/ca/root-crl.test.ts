/**
 * The root CRL's revocation ledger (<offline-dir>/revoked.json): append-only, revocation dates
 * fixed at first record, reasons checked with Object.hasOwn, a corrupt ledger never replaced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCrl } from '../../../ca/crl/index.ts';
import { createRoot, readRootRevocations, revokedFile, rootCrl } from '../../../ca/root/index.ts';
import { isAppError } from '../../../platform/errors.ts';
import { TEST_PASSPHRASE } from '../../helpers/pki.ts';

const code = (c: string) => (e: unknown) => isAppError(e, c as never);
const T1 = new Date('2026-03-01T10:00:00.750Z');
const day = 86_400_000;

function withRoot(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'gh-rootcrl-'));
  try {
    createRoot({ dir, passphrase: TEST_PASSPHRASE, algorithm: 'P-256', subject: { commonName: 'Ledger Test Root' } });
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const entriesOf = (der: Buffer) =>
  parseCrl(der).entries.map((e) => ({
    serial: e.serial,
    reason: e.reason ?? 'unspecified',
    at: e.revokedAt.toISOString(),
  }));

test('a serial omitted on a later run stays revoked, with its first revocation date and reason', () => {
  withRoot((dir) => {
    const first = rootCrl({
      dir,
      passphrase: TEST_PASSPHRASE,
      revokedSerials: [{ serial: '0A:1B:2C:3D:4E:5F:60:71', reason: 'cACompromise' }],
      now: T1,
    });
    assert.deepEqual(entriesOf(first.der), [
      { serial: 'a1b2c3d4e5f6071', reason: 'cACompromise', at: '2026-03-01T10:00:00.000Z' },
    ]);
    const second = rootCrl({ dir, passphrase: TEST_PASSPHRASE, revokedSerials: [], now: new Date(T1.getTime() + day) });
    assert.equal(second.number, first.number + 1n);
    assert.equal(second.entries, 1);
    assert.deepEqual(entriesOf(second.der), entriesOf(first.der), 'not un-revoked, date not moved to thisUpdate');
    // naming it again (without a reason) and adding another keeps the first record as it was
    const third = rootCrl({
      dir,
      passphrase: TEST_PASSPHRASE,
      revokedSerials: ['a1b2c3d4e5f6071', { serial: '1122334455667788', reason: 'superseded' }],
      now: new Date(T1.getTime() + 2 * day),
    });
    assert.deepEqual(entriesOf(third.der), [
      { serial: 'a1b2c3d4e5f6071', reason: 'cACompromise', at: '2026-03-01T10:00:00.000Z' },
      { serial: '1122334455667788', reason: 'superseded', at: '2026-03-03T10:00:00.000Z' },
    ]);
    assert.deepEqual(
      readRootRevocations(dir).map((e) => e.serial),
      ['a1b2c3d4e5f6071', '1122334455667788'],
    );
    // a restated reason is recorded; the date stays
    const fourth = rootCrl({
      dir,
      passphrase: TEST_PASSPHRASE,
      revokedSerials: [{ serial: '1122334455667788', reason: 'keyCompromise' }],
      now: new Date(T1.getTime() + 3 * day),
    });
    assert.deepEqual(entriesOf(fourth.der)[1], {
      serial: '1122334455667788',
      reason: 'keyCompromise',
      at: '2026-03-03T10:00:00.000Z',
    });
  });
});

test('reasons must be own CRLReason names: "constructor", "__proto__", "toString", removeFromCRL are refused and nothing is written', () => {
  withRoot((dir) => {
    const ok = rootCrl({ dir, passphrase: TEST_PASSPHRASE, revokedSerials: ['0102030405060708'], now: T1 });
    const ledger = readFileSync(revokedFile(dir), 'utf8');
    for (const reason of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'removeFromCRL', 'nonsense']) {
      assert.throws(
        () =>
          rootCrl({
            dir,
            passphrase: TEST_PASSPHRASE,
            revokedSerials: [{ serial: '0a0b0c0d0e0f1011', reason: reason as never }],
            now: T1,
          }),
        code('ERR_REVOCATION_REASON'),
        reason,
      );
    }
    assert.equal(readFileSync(revokedFile(dir), 'utf8'), ledger, 'ledger untouched');
    const next = rootCrl({ dir, passphrase: TEST_PASSPHRASE, revokedSerials: [], now: T1 });
    assert.equal(next.number, ok.number + 1n, 'no CRL number was used by the refused runs');
  });
});

test('a revocation date in the future is refused; a corrupt ledger stops the run and is never replaced', () => {
  withRoot((dir) => {
    assert.throws(
      () =>
        rootCrl({
          dir,
          passphrase: TEST_PASSPHRASE,
          revokedSerials: [{ serial: '0102030405060708', revokedAt: new Date(T1.getTime() + day) }],
          now: T1,
        }),
      code('ERR_BAD_INPUT'),
    );
    for (const bad of [
      '{not json',
      '{"serial":"01"}',
      '[{"serial":"zz","reason":"unspecified","revokedAt":"2026-01-01T00:00:00Z"}]',
      '[{"serial":"0102","reason":"constructor","revokedAt":"2026-01-01T00:00:00Z"}]',
      '[{"serial":"0102","reason":"unspecified","revokedAt":"yesterday"}]',
    ]) {
      writeFileSync(revokedFile(dir), bad);
      assert.throws(
        () => rootCrl({ dir, passphrase: TEST_PASSPHRASE, revokedSerials: ['0a0b0c0d0e0f1011'], now: T1 }),
        code('ERR_CONFIG'),
        bad,
      );
      assert.equal(readFileSync(revokedFile(dir), 'utf8'), bad);
    }
  });
});
