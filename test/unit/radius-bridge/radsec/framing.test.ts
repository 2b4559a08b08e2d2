/**
 * RadSec stream framing (RFC 6614): packets split and joined arbitrarily across TLS records come
 * out whole; a Length outside 20..4096 breaks the stream (AppError), never a partial packet.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isAppError } from '../../../../platform/errors.ts';
import { encodePacket } from '../../../../radius-bridge/codec/index.ts';
import { RadsecFramer } from '../../../../radius-bridge/radsec/server.ts';

const packet = (n: number) =>
  encodePacket(
    {
      code: 'Access-Request',
      identifier: n & 0xff,
      attributes: [{ name: 'User-Name', value: 'x'.repeat(1 + (n % 200)) }],
    },
    'radsec',
  );

describe('RadSec framing', () => {
  it('reassembles packets from any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 50 }),
        (ids, cuts) => {
          const packets = ids.map(packet);
          const stream = Buffer.concat(packets);
          const framer = new RadsecFramer();
          const out: Buffer[] = [];
          let off = 0;
          for (let i = 0; off < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            out.push(...framer.push(stream.subarray(off, off + n)));
            off += n;
          }
          assert.deepEqual(out, packets);
          assert.equal(framer.buffered, 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a bad Length breaks the stream', () => {
    for (const len of [0, 19, 4097, 65535]) {
      const framer = new RadsecFramer();
      const b = Buffer.from(packet(1));
      b.writeUInt16BE(len, 2);
      assert.throws(
        () => framer.push(b),
        (e) => isAppError(e, 'ERR_RADIUS_MALFORMED'),
      );
      assert.equal(framer.buffered, 0);
    }
  });

  it('waits for the rest of a partial packet, never returns it early', () => {
    const framer = new RadsecFramer();
    const p = packet(7);
    assert.deepEqual(framer.push(p.subarray(0, 3)), []);
    assert.deepEqual(framer.push(p.subarray(3, p.length - 1)), []);
    assert.deepEqual(framer.push(p.subarray(p.length - 1)), [p]);
  });
});
