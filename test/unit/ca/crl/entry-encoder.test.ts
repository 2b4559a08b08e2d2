import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generalizedTime, integer, time } from '../../../../ca/asn1/index.ts';
import { ByteSink, MAX_ENTRY_BYTES, writeEntry, writeSerial, writeTime } from '../../../../ca/crl/entry-encoder.ts';
import { isAppError } from '../../../../platform/errors.ts';

const MIN = Date.UTC(1900, 0, 1) / 1000;
const MAX = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;

test('writeTime matches the asn1 writer (UTCTime 1950..2049, GeneralizedTime otherwise) for any second', () => {
  fc.assert(
    fc.property(fc.integer({ min: MIN, max: MAX }), fc.boolean(), (s, gen) => {
      const out = Buffer.alloc(17);
      const end = writeTime(out, 0, s, gen);
      const d = new Date(s * 1000);
      assert.deepEqual(out.subarray(0, end), gen ? generalizedTime(d) : time(d));
    }),
    { numRuns: 5000 },
  );
  // boundaries of the UTCTime window and leap days
  for (const iso of [
    '1949-12-31T23:59:59Z',
    '1950-01-01T00:00:00Z',
    '2049-12-31T23:59:59Z',
    '2050-01-01T00:00:00Z',
    '2000-02-29T12:00:00Z',
    '2100-03-01T00:00:00Z',
  ]) {
    const out = Buffer.alloc(17);
    const d = new Date(iso);
    assert.deepEqual(out.subarray(0, writeTime(out, 0, d.getTime() / 1000)), time(d), iso);
  }
});

test('writeSerial is the minimal positive INTEGER of the hex magnitude (leading zeros and case tolerated)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 20 }),
      fc.nat({ max: 3 }),
      fc.boolean(),
      (bytes, zeros, upper) => {
        let hex = '0'.repeat(zeros) + Buffer.from(bytes).toString('hex');
        if (upper) hex = hex.toUpperCase();
        const out = Buffer.alloc(24);
        const end = writeSerial(out, 0, hex);
        assert.deepEqual(out.subarray(0, end), integer(Buffer.from(bytes)));
      },
    ),
    { numRuns: 3000 },
  );
  const zero = Buffer.alloc(3, 0xee);
  assert.deepEqual([...zero.subarray(0, writeSerial(zero, 0, '0'))], [0x02, 0x01, 0x00]);
});

test('writeSerial refuses non-hex and over-long serials instead of writing a wrong one', () => {
  for (const bad of ['', 'xyz', '12g4', '１２', 'a'.repeat(41), '-1']) {
    assert.throws(
      () => writeSerial(Buffer.alloc(64), 0, bad),
      (e) => isAppError(e, 'ERR_BAD_INPUT'),
      bad,
    );
  }
});

test('an entry never exceeds MAX_ENTRY_BYTES and keeps a short-form length', () => {
  const sink = new ByteSink(0, 16);
  writeEntry(sink, 'ff'.repeat(20), Date.UTC(2100, 0, 1) / 1000, 9, Date.UTC(2100, 0, 1) / 1000);
  assert.equal(sink.pos, sink.buf[1]! + 2);
  assert.ok(sink.pos <= MAX_ENTRY_BYTES, `${sink.pos}`);
  assert.throws(
    () => writeEntry(sink, '01', 0, 7, NaN),
    (e) => isAppError(e, 'ERR_BAD_INPUT'),
  );
  assert.throws(
    () => writeEntry(sink, '01', 0, 11, NaN),
    (e) => isAppError(e, 'ERR_BAD_INPUT'),
  );
});

test('ByteSink grows and keeps what was written', () => {
  const s = new ByteSink(10, 0);
  for (let i = 0; i < 5000; i++) s.put(Buffer.from([i & 0xff]));
  assert.equal(s.pos, 5010);
  for (let i = 0; i < 5000; i++) assert.equal(s.buf[10 + i], i & 0xff);
});
