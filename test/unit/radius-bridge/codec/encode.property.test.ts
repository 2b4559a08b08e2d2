/** Property tests for encoding: hidden/salted attributes and IPv6 text round-trip (see decode.property.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodePacket,
  decryptMppeKey,
  encodePacket,
  revealUserPassword,
  verifyResponse,
} from '../../../../radius-bridge/codec/index.ts';

const SECRET = 'property-secret';
const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((u) => Buffer.from(u));

test('encrypted attributes round-trip: User-Password and MS-MPPE keys', () => {
  fc.assert(
    fc.property(bytes(1, 128), bytes(1, 239), bytes(16, 16), (password, key, auth) => {
      const pw = Buffer.from(password.map((b) => b || 0x41)); // NUL is padding
      const req = encodePacket(
        {
          code: 'Access-Request',
          identifier: 1,
          authenticator: auth,
          attributes: [{ name: 'User-Password', value: pw }],
        },
        SECRET,
      );
      const hidden = decodePacket(req).get('User-Password') as Buffer;
      assert.deepEqual(revealUserPassword(hidden, SECRET, auth), pw);
      const accept = encodePacket(
        { code: 'Access-Accept', identifier: 1, attributes: [{ name: 'MS-MPPE-Send-Key', value: key }] },
        SECRET,
        { requestAuthenticator: auth },
      );
      assert.deepEqual(
        decryptMppeKey(verifyResponse(accept, auth, SECRET).get('MS-MPPE-Send-Key') as Buffer, SECRET, auth),
        key,
      );
    }),
    { numRuns: 300 },
  );
});

test('IPv6 text -> NAS-IPv6-Address -> text agrees with the WHATWG URL parser', () => {
  fc.assert(
    fc.property(fc.ipV6(), (ip) => {
      const p = encodePacket(
        { code: 'Access-Request', identifier: 1, attributes: [{ name: 'NAS-IPv6-Address', value: ip }] },
        SECRET,
      );
      assert.equal(decodePacket(p).getAddress('NAS-IPv6-Address'), new URL(`http://[${ip}]/`).hostname.slice(1, -1));
    }),
    { numRuns: 500 },
  );
});
