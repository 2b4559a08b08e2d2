import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isAppError } from '../../../../platform/errors.ts';
import {
  DEFAULT_EAP_MTU,
  eapMtuFromFramedMtu,
  fragmentDataSize,
  fragmentTlsMessage,
  MIN_EAP_MTU,
  TlsReassembler,
  type EapTlsData,
} from '../../../../radius-bridge/eap/index.ts';

const frag = (data: number | Buffer, more = false, total?: number): EapTlsData => ({
  start: false,
  more,
  tlsMessageLength: total,
  data: typeof data === 'number' ? Buffer.alloc(data, 7) : data,
});

const code = (c: string) => (e: unknown) => isAppError(e, c as 'ERR_EAP_LIMIT');

describe('EAP MTU and outgoing fragmentation', () => {
  it('Framed-MTU minus the EAPOL header, clamped, default 1000', () => {
    assert.equal(eapMtuFromFramedMtu(undefined), DEFAULT_EAP_MTU);
    assert.equal(eapMtuFromFramedMtu(300), 296);
    assert.equal(eapMtuFromFramedMtu(1500), 1000, 'Framed-MTU only lowers the ceiling');
    assert.equal(eapMtuFromFramedMtu(1500, 1400), 1400);
    assert.equal(eapMtuFromFramedMtu(20), MIN_EAP_MTU);
    assert.equal(eapMtuFromFramedMtu(Number.NaN), DEFAULT_EAP_MTU);
    assert.equal(fragmentDataSize(296), 286);
  });

  it('L on the first fragment of a fragmented message, M on all but the last', () => {
    const msg = Buffer.from(Array.from({ length: 700 }, (_, i) => i & 0xff));
    const frags = fragmentTlsMessage(msg, 286);
    assert.deepEqual(
      frags.map((f) => [f.data.length, f.more, f.tlsMessageLength]),
      [
        [286, true, 700],
        [286, true, undefined],
        [128, false, undefined],
      ],
    );
    assert.deepEqual(Buffer.concat(frags.map((f) => f.data)), msg);
    assert.deepEqual(
      fragmentTlsMessage(Buffer.alloc(10), 286).map((f) => f.tlsMessageLength),
      [undefined],
    );
    assert.deepEqual(
      fragmentTlsMessage(Buffer.alloc(10), 286, true).map((f) => f.tlsMessageLength),
      [10],
    );
    assert.deepEqual(fragmentTlsMessage(Buffer.alloc(0), 286), [frag(0)]);
  });
});

describe('TLS reassembly (RFC 5216 §3.1)', () => {
  it('reassembles, accepting a repeated identical L', () => {
    const r = new TlsReassembler();
    assert.equal(r.push(frag(100, true, 250)), undefined);
    assert.equal(r.push(frag(100, true, 250)), undefined);
    assert.equal(r.push(frag(50))?.length, 250);
    assert.equal(r.inProgress, false);
    assert.equal(r.push(frag(Buffer.from('abc'), false, 3))?.toString(), 'abc');
  });

  it('rejects protocol violations with ERR_EAP_MALFORMED and resets', () => {
    const cases: EapTlsData[][] = [
      [frag(10, true)], // first fragment without L
      [frag(10, false, 11)], // unfragmented with wrong L
      [frag(10, true, 10)], // M on a complete message
      [frag(10, true, 30), frag(0, true)], // empty middle fragment
      [frag(10, true, 30), frag(10, true, 31)], // L changed
      [frag(10, true, 30), frag(25)], // overflow
      [frag(10, true, 30), frag(5)], // short
      [frag(10, true, 30), frag(20, true)], // M on the completing fragment
      [{ ...frag(0), start: true }],
    ];
    for (const seq of cases) {
      const r = new TlsReassembler();
      assert.throws(
        () => seq.forEach((f) => r.push(f)),
        code('ERR_EAP_MALFORMED'),
        JSON.stringify(seq.map((f) => [f.data.length, f.more, f.tlsMessageLength])),
      );
      assert.equal(r.inProgress, false);
    }
  });

  it('caps message size and fragment count with ERR_EAP_LIMIT', () => {
    assert.throws(() => new TlsReassembler().push(frag(10, true, 64 * 1024 + 1)), code('ERR_EAP_LIMIT'));
    const r = new TlsReassembler({ maxFragments: 4 });
    r.push(frag(1, true, 100));
    r.push(frag(1, true));
    r.push(frag(1, true));
    r.push(frag(1, true)); // 4th fragment: still allowed
    assert.throws(() => r.push(frag(1, true)), code('ERR_EAP_LIMIT'));
  });

  it('property: garbage fragment sequences only ever yield ERR_EAP_MALFORMED/ERR_EAP_LIMIT, memory bounded', () => {
    const anyFrag = fc.record({
      start: fc.boolean(),
      more: fc.boolean(),
      tlsMessageLength: fc.option(fc.oneof(fc.nat(300), fc.nat(0xffffffff)), { nil: undefined }),
      data: fc.uint8Array({ maxLength: 120 }).map((u) => Buffer.from(u)),
    });
    fc.assert(
      fc.property(fc.array(anyFrag, { maxLength: 60 }), (frags) => {
        const r = new TlsReassembler({ maxMessageBytes: 2000, maxFragments: 20 });
        for (const f of frags) {
          try {
            const out = r.push(f);
            if (out) assert.ok(out.length <= 2000);
          } catch (e) {
            if (!isAppError(e, 'ERR_EAP_MALFORMED') && !isAppError(e, 'ERR_EAP_LIMIT')) throw e;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: fragmentTlsMessage then TlsReassembler is the identity', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.integer({ min: 100, max: 1500 }),
        (bytes, size) => {
          const msg = Buffer.from(bytes);
          const r = new TlsReassembler();
          const frags = fragmentTlsMessage(msg, size);
          const outs = frags.map((f) => r.push(f));
          assert.deepEqual(outs.slice(0, -1), new Array(frags.length - 1).fill(undefined));
          assert.deepEqual(outs.at(-1), msg);
        },
      ),
      { numRuns: 500 },
    );
  });
});
