import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { integer } from '../../../ca/asn1/index.ts';
import { newSerial, normalizeSerial, serialBytes, serialHex } from '../../../ca/serial.ts';
import { isAppError } from '../../../platform/errors.ts';

test('serials: 127-bit CSPRNG, positive, 8..16 octets, canonical lowercase hex, unique', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const s = newSerial();
    const content = integer(s.bytes).subarray(2); // INTEGER content octets (sign octet included)
    assert.ok(content.length >= 8 && content.length <= 16, `content length ${content.length}`);
    assert.equal((content[0] as number) & 0x80, 0, 'positive');
    assert.notEqual(s.bytes[0], 0, 'no leading zero octet in the magnitude');
    assert.match(s.hex, /^[1-9a-f][0-9a-f]*$/);
    assert.equal(s.hex, serialHex(s.bytes));
    assert.deepEqual(serialBytes(s.hex), s.bytes);
    assert.ok(!seen.has(s.hex));
    seen.add(s.hex);
  }
});

test('normalizeSerial accepts operator forms and refuses zero, non-hex and > 20 octets', () => {
  assert.equal(normalizeSerial('00:0A:bC'), 'abc');
  assert.equal(normalizeSerial('0x7F'), '7f');
  assert.equal(normalizeSerial('7f'.padEnd(40, '0')), '7f'.padEnd(40, '0')); // 20 octets, top bit clear
  for (const bad of ['', '0', '000', 'xyz', '-1', '80'.padEnd(40, '0'), '1'.padEnd(42, '0')]) {
    assert.throws(() => normalizeSerial(bad), (e) => isAppError(e, 'ERR_BAD_INPUT'), bad);
  }
});

test('normalizeSerial never throws anything but ERR_BAD_INPUT (property)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), (s) => {
      try {
        const h = normalizeSerial(s);
        assert.match(h, /^[1-9a-f][0-9a-f]*$/);
      } catch (e) {
        assert.ok(isAppError(e, 'ERR_BAD_INPUT'));
      }
    }),
  );
});
