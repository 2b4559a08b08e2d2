/** User-Password hiding (RFC 2865 §5.2) and MS-MPPE key salting (RFC 2548 §2.4.2) edge cases. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  decryptMppeKey,
  encryptMppeKey,
  hideUserPassword,
  revealUserPassword,
  SaltSource,
} from '../../../../radius-bridge/codec/index.ts';
import { isAppError } from '../../../../platform/errors.ts';

const SECRET = 'salt-and-pepper';
const RA = randomBytes(16);
const malformed = (e: unknown) => isAppError(e, 'ERR_RADIUS_MALFORMED');
const badInput = (e: unknown) => isAppError(e, 'ERR_BAD_INPUT');

test('User-Password: lengths 0..128 round-trip, padded to 16', () => {
  for (let len = 0; len <= 128; len++) {
    const pw = Buffer.from(randomBytes(len).map((b) => b || 1)); // NUL octets would be taken for padding
    const hidden = hideUserPassword(pw, SECRET, RA);
    assert.equal(hidden.length, Math.max(16, Math.ceil(len / 16) * 16));
    assert.deepEqual(revealUserPassword(hidden, SECRET, RA), pw);
  }
  assert.throws(() => hideUserPassword('x'.repeat(129), SECRET, RA), badInput);
  assert.throws(() => hideUserPassword('x', SECRET, Buffer.alloc(8)), badInput);
  for (const len of [0, 15, 17, 144]) assert.throws(() => revealUserPassword(Buffer.alloc(len), SECRET, RA), malformed);
  assert.throws(
    () => hideUserPassword('x', '', RA),
    (e) => isAppError(e, 'ERR_CONFIG'),
  );
});

test('MPPE: keys of 1..239 octets round-trip; shape checked on decrypt', () => {
  for (const len of [1, 15, 16, 31, 32, 64, 239]) {
    const key = randomBytes(len);
    const value = encryptMppeKey(key, SECRET, RA, 0x8000 + len);
    assert.equal(value.length, 2 + Math.ceil((len + 1) / 16) * 16);
    assert.equal(value.readUInt16BE(0), 0x8000 + len);
    assert.deepEqual(decryptMppeKey(value, SECRET, RA), key);
  }
  assert.throws(() => encryptMppeKey(Buffer.alloc(240), SECRET, RA, 0x8001), badInput);
  assert.throws(() => encryptMppeKey(Buffer.alloc(0), SECRET, RA, 0x8001), badInput);
  assert.throws(() => encryptMppeKey(Buffer.alloc(16), SECRET, RA, 0x7fff), badInput, 'salt high bit');

  const value = encryptMppeKey(Buffer.alloc(15, 9), SECRET, RA, 0x9999); // one block: Key-Length 15 + 15 octets
  for (const bad of [
    value.subarray(0, 17),
    Buffer.concat([value, Buffer.alloc(1)]),
    Buffer.concat([value, Buffer.alloc(15)]),
  ]) {
    assert.throws(() => decryptMppeKey(bad, SECRET, RA), malformed, `length ${bad.length}`);
  }
  const noHighBit = Buffer.from(value);
  noHighBit[0] = 0x19;
  assert.throws(() => decryptMppeKey(noHighBit, SECRET, RA), malformed);
  // c(1) = p(1) xor b(1) with b(1) independent of c(1): flipping cipher octet 0 flips Key-Length.
  const tooLong = Buffer.from(value);
  tooLong[2] = (tooLong[2] as number) ^ (15 ^ 16);
  assert.throws(() => decryptMppeKey(tooLong, SECRET, RA), malformed);
  const zero = Buffer.from(value);
  zero[2] = (zero[2] as number) ^ 15;
  assert.throws(() => decryptMppeKey(zero, SECRET, RA), malformed);
});

test('SaltSource: high bit set, never repeats within a packet', () => {
  const salts = new SaltSource();
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const s = salts.next();
    assert.ok(s >= 0x8000 && s <= 0xffff);
    assert.ok(!seen.has(s));
    seen.add(s);
  }
});
