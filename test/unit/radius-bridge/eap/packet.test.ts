import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AppError, isAppError } from '../../../../platform/errors.ts';
import {
  buildEap,
  buildEapFailure,
  buildEapSuccess,
  buildEapTls,
  EAP_CODE,
  EAP_TYPE,
  encodeEapTls,
  isEapTlsAck,
  parseEap,
  parseEapTls,
  type EapPacket,
} from '../../../../radius-bridge/eap/index.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

function malformed(fn: () => unknown): void {
  assert.throws(fn, (e) => isAppError(e, 'ERR_EAP_MALFORMED'));
}

describe('EAP packet parsing (RFC 3748 §4)', () => {
  it('parses Identity, Success, Failure and EAP-TLS Start', () => {
    assert.deepEqual(parseEap(hex('02 07 0009 01 616c6963')), {
      code: 2,
      id: 7,
      type: 1,
      typeData: Buffer.from('alic'),
    });
    assert.deepEqual(parseEap(hex('03 2a 0004')), { code: 3, id: 42 });
    assert.deepEqual(parseEap(hex('04 00 0004')), { code: 4, id: 0 });
    const start = parseEap(hex('01 08 0006 0d 20'));
    assert.ok(start.code === 1 && start.type === 13);
    assert.deepEqual(parseEapTls(start.typeData), {
      start: true,
      more: false,
      tlsMessageLength: undefined,
      data: Buffer.alloc(0),
    });
  });

  it('rejects what RFC 3748 says to discard', () => {
    malformed(() => parseEap(hex('02 07 00')));
    malformed(() => parseEap(hex('02 07 0003')));
    malformed(() => parseEap(hex('02 07 000a 01 61')));
    malformed(() => parseEap(hex('05 07 0005 01')));
    malformed(() => parseEap(hex('00 07 0005 01')));
    malformed(() => parseEap(hex('03 07 0005 00')));
    malformed(() => parseEap(hex('02 07 0004')));
    malformed(() => parseEap(hex('01 07 0006 03 0d')));
    malformed(() => parseEap(hex('02 07 0005 03')));
    malformed(() => parseEap(hex('02 07 000b fe 000000 000000')));
  });

  it('trailing octets: rejected by default, ignored as padding on request', () => {
    malformed(() => parseEap(hex('03 01 0004 00')));
    assert.deepEqual(parseEap(hex('03 01 0004 0000'), { allowTrailing: true }), { code: 3, id: 1 });
  });

  it('EAP-TLS flags and TLS Message Length (RFC 5216 §3.1)', () => {
    assert.deepEqual(parseEapTls(hex('c0 00000010 aabb')), {
      start: false,
      more: true,
      tlsMessageLength: 16,
      data: hex('aabb'),
    });
    assert.deepEqual(parseEapTls(hex('00')), {
      start: false,
      more: false,
      tlsMessageLength: undefined,
      data: Buffer.alloc(0),
    });
    assert.deepEqual(parseEapTls(hex('1f 01')).data, hex('01'), 'reserved bits ignored');
    assert.ok(isEapTlsAck(parseEapTls(hex('00'))));
    assert.ok(!isEapTlsAck(parseEapTls(hex('40'))));
    malformed(() => parseEapTls(Buffer.alloc(0)));
    malformed(() => parseEapTls(hex('80 0000')));
    malformed(() => parseEapTls(hex('80 00000001 aabb')));
    malformed(() => parseEapTls(hex('20 aa')));
    malformed(() => parseEapTls(hex('60')));
    malformed(() => parseEapTls(hex('a0 00000000')));
  });

  it('builders produce what the parser reads', () => {
    assert.deepEqual(buildEapSuccess(9), hex('03 09 0004'));
    assert.deepEqual(buildEapFailure(255), hex('04 ff 0004'));
    const frag = { start: false, more: true, tlsMessageLength: 300, data: Buffer.alloc(100, 1) };
    const pkt = buildEapTls(EAP_CODE.request, 3, frag);
    assert.equal(pkt.length, 4 + 1 + 1 + 4 + 100);
    const p = parseEap(pkt);
    assert.ok(p.code === 1 && p.type === EAP_TYPE.tls);
    assert.deepEqual(parseEapTls(p.typeData), frag);
    assert.throws(
      () => buildEap({ code: 2, id: 256, type: 1, typeData: Buffer.alloc(0) }),
      (e) => isAppError(e, 'ERR_BAD_INPUT'),
    );
    assert.throws(
      () => buildEap({ code: 2, id: 1, type: 1, typeData: Buffer.alloc(70_000) }),
      (e) => isAppError(e, 'ERR_BAD_INPUT'),
    );
    assert.throws(
      () => encodeEapTls({ start: false, more: false, tlsMessageLength: 1, data: Buffer.alloc(2) }),
      AppError,
    );
  });
});

describe('EAP parsing properties (fast-check)', () => {
  const onlyAppErrors = (fn: () => unknown): void => {
    try {
      fn();
    } catch (e) {
      if (!isAppError(e, 'ERR_EAP_MALFORMED')) throw e;
    }
  };

  it('garbage never throws anything but ERR_EAP_MALFORMED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, allowTrailing) => {
        const b = Buffer.from(bytes);
        onlyAppErrors(() => {
          const p = parseEap(b, { allowTrailing });
          if (p.code <= 2 && 'type' in p && p.type === 13) parseEapTls(p.typeData);
        });
        onlyAppErrors(() => parseEapTls(b));
      }),
      { numRuns: 3000 },
    );
  });

  const packet: fc.Arbitrary<EapPacket> = fc.oneof(
    fc.record({ code: fc.constantFrom(3 as const, 4 as const), id: fc.nat(255) }),
    fc.record({
      code: fc.constantFrom(1 as const, 2 as const),
      id: fc.nat(255),
      type: fc.constantFrom(1, 2, 4, 13, 25),
      typeData: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
    }),
  );

  it('build/parse round-trips, and mutations of valid packets only ever yield AppErrors', () => {
    fc.assert(
      fc.property(packet, fc.nat(), fc.nat(255), fc.integer({ min: -3, max: 3 }), (p, pos, byte, cut) => {
        const wire = buildEap(p);
        assert.deepEqual(parseEap(wire), { ...p });
        const mutated = Buffer.from(wire);
        mutated[pos % mutated.length] = byte;
        const sliced =
          cut < 0 ? mutated.subarray(0, mutated.length + cut) : Buffer.concat([mutated, Buffer.alloc(cut)]);
        onlyAppErrors(() => {
          const q = parseEap(sliced);
          if ('type' in q && q.type === 13) parseEapTls(q.typeData);
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('EAP-TLS type data round-trips', () => {
    const tlsData = fc
      .record({ more: fc.boolean(), withL: fc.boolean(), extra: fc.nat(1000), data: fc.uint8Array({ maxLength: 200 }) })
      .map(({ more, withL, extra, data }) => ({
        start: false,
        more,
        tlsMessageLength: withL ? data.length + extra : undefined,
        data: Buffer.from(data),
      }));
    fc.assert(
      fc.property(tlsData, (t) => assert.deepEqual(parseEapTls(encodeEapTls(t)), { ...t })),
      { numRuns: 1000 },
    );
  });
});
