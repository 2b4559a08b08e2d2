/**
 * Property tests for the DER layer (CONTRIBUTING: every parser gets garbage and mutated input).
 * Reader: any input returns or throws AppError('ERR_DER_MALFORMED') — never a RangeError, a hang
 * or another error. Writer/reader: values round-trip, and re-encoding a parsed tree is byte-exact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as der from '../../../../ca/asn1/index.ts';
import { isAppError } from '../../../../platform/errors.ts';

const RUNS = { numRuns: 1000 };

/** Reads every node of a parsed tree with the typed reader for its tag. */
function readAll(buf: Buffer, t: der.Tlv): void {
  if (t.constructed) {
    for (const c of der.children(buf, t)) readAll(buf, c);
    return;
  }
  const readers: Record<number, (b: Buffer, t: der.Tlv) => unknown> = {
    0x01: der.readBoolean,
    0x02: der.readInteger,
    0x03: der.readBitString,
    0x04: der.readOctetString,
    0x05: der.readNull,
    0x06: der.readOid,
    0x0a: der.readIntegerRaw,
    0x0c: der.readString,
    0x13: der.readString,
    0x16: der.readString,
    0x1e: der.readString,
    0x17: der.readTime,
    0x18: der.readTime,
  };
  readers[t.id]?.(buf, t);
}

/** Runs `f`; anything thrown must be an AppError with one of `codes`. */
function onlyAppErrors(f: () => unknown, codes = ['ERR_DER_MALFORMED']): void {
  try {
    f();
  } catch (e) {
    if (!isAppError(e) || !codes.includes(e.code)) throw e;
  }
}

const leaf: fc.Arbitrary<Buffer> = fc.oneof(
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).map((v) => der.integer(v)),
  fc.boolean().map(der.bool),
  fc.constant(der.nullDer()),
  fc.uint8Array({ maxLength: 40 }).map((b) => der.octetString(Buffer.from(b))),
  fc.string({ maxLength: 20 }).map((s) => der.utf8String(s.replace(/\p{Cs}/gu, ''))),
  fc
    .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
    .map(der.time),
  fc
    .array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 6 })
    .map((a) => der.oid(`1.3.${a.join('.')}`)),
);
const tree = fc.letrec<{ node: Buffer }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 5 }).map((c) => der.seq(...c)),
    fc.array(tie('node'), { maxLength: 4 }).map((c) => der.set(...c)),
    fc.tuple(fc.integer({ min: 0, max: 30 }), tie('node')).map(([n, c]) => der.explicit(n, c)),
  ),
})).node;

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(buf: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of ms) {
    const at = b.length ? m.at % b.length : 0;
    if (m.kind === 'flip' && b.length) b[at] = (b[at] as number) ^ m.xor;
    else if (m.kind === 'cut') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
  }
  return b;
}
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

describe('DER reader never fails other than ERR_DER_MALFORMED', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 310 }), (raw, off) => {
        const b = Buffer.from(raw);
        onlyAppErrors(() => readAll(b, der.parseDerExact(b)));
        onlyAppErrors(() => der.readTlv(b, off));
        onlyAppErrors(() => der.formatName(b));
      }),
      RUNS,
    );
  });

  it('random bytes behind a plausible header', () => {
    const header = fc.constantFrom(0x30, 0x31, 0xa0, 0x02, 0x03, 0x06, 0x17, 0x18, 0x0c, 0x1f, 0x3f, 0xbf);
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 200 }), (id, raw) => {
        const b = Buffer.concat([Buffer.from([id]), Buffer.from(raw)]);
        onlyAppErrors(() => readAll(b, der.parseDerExact(b)));
      }),
      RUNS,
    );
  });

  it('mutated valid DER', () => {
    fc.assert(
      fc.property(tree, mutations, (b, ms) => {
        const m = mutate(b, ms);
        onlyAppErrors(() => readAll(m, der.parseDerExact(m)));
        onlyAppErrors(() => der.formatName(m));
      }),
      RUNS,
    );
  });
});

describe('writer/reader round trips', () => {
  it('trees re-encode byte for byte', () => {
    const reencode = (buf: Buffer, t: der.Tlv): Buffer =>
      t.constructed
        ? der.tlv(t.id, ...der.children(buf, t).map((c) => reencode(buf, c)))
        : der.tlv(t.id, der.contentOf(buf, t));
    fc.assert(
      fc.property(tree, (b) => {
        const t = der.parseDerExact(b, { maxDepth: 64 });
        readAll(b, t);
        assert.deepEqual(reencode(b, t), b);
      }),
      { numRuns: 300 },
    );
  });

  it('INTEGER', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }), (v) => {
        const b = der.integer(v);
        assert.equal(der.readInteger(b, der.parseDerExact(b)), v);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (raw) => {
        const b = der.integer(Buffer.from(raw));
        const expected = BigInt('0x0' + Buffer.from(raw).toString('hex'));
        assert.equal(der.readInteger(b, der.parseDerExact(b)), expected);
      }),
      RUNS,
    );
  });

  it('OID', () => {
    const arc = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.bigInt({ min: 0n, max: 2n ** 130n }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(arc, { maxLength: 8 }),
        (a, b, rest) => {
          const dotted = [a, b, ...rest].join('.');
          const enc = der.oid(dotted);
          assert.equal(der.readOid(enc, der.parseDerExact(enc)), dotted);
        },
      ),
      RUNS,
    );
  });

  it('strings, times, bit strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        const b = der.utf8String(s);
        assert.equal(der.readString(b, der.parseDerExact(b)), s);
      }),
      RUNS,
    );
    const date = fc.date({
      min: new Date('0000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(date, (d) => {
        const b = der.time(d);
        const back = der.readTime(b, der.parseDerExact(b));
        assert.equal(back.getTime(), Math.floor(d.getTime() / 1000) * 1000);
        assert.equal(b[0], d.getUTCFullYear() >= 1950 && d.getUTCFullYear() <= 2049 ? 0x17 : 0x18);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 10 }), (bits) => {
        const b = der.namedBits(bits);
        const { unusedBits, bytes } = der.readBitString(b, der.parseDerExact(b));
        const set = new Set<number>();
        for (let i = 0; i < bytes.length * 8 - unusedBits; i++)
          if ((bytes[i >> 3] as number) & (0x80 >> (i & 7))) set.add(i);
        assert.deepEqual(
          [...set].sort((x, y) => x - y),
          [...new Set(bits)].sort((x, y) => x - y),
        );
        if (bytes.length) assert.notEqual(((bytes.at(-1) as number) >> unusedBits) & 1, 0); // no trailing zero bits
      }),
      RUNS,
    );
  });

  it('PEM', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), (raw) => {
        const b = Buffer.from(raw);
        assert.deepEqual(der.fromPem(der.toPem('CERTIFICATE', b), 'CERTIFICATE'), b);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        onlyAppErrors(() => der.fromPemAll(`-----BEGIN X-----\n${s}\n-----END X-----\n` + s), ['ERR_BAD_INPUT']);
      }),
      RUNS,
    );
  });
});
