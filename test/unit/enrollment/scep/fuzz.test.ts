/**
 * Property tests: whatever bytes reach parsePkiMessage / parseDegenerate, the result is a parsed
 * message or an AppError with one of the SCEP codes — never another exception, crash or hang.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isAppError } from '../../../../platform/errors.ts';
import { parseDegenerate, parsePkiMessage } from '../../../../enrollment/scep/index.ts';
import { signPkiMessage } from './client.ts';
import { makePki, opensslEnvelope } from './pki.ts';

const pki = makePki();
const ra = { certDer: pki.raDer, key: pki.raKey };
const CODES = new Set(['ERR_SCEP_BAD_MESSAGE', 'ERR_SCEP_BAD_SIGNATURE', 'ERR_SCEP_BAD_RECIPIENT']);

async function outcome(input: Uint8Array): Promise<string> {
  try {
    await parsePkiMessage(input, ra, { allowDesCbc: true });
    return 'ok';
  } catch (e) {
    if (!isAppError(e) || !CODES.has(e.code)) throw new Error(`unexpected ${String(e)}`, { cause: e });
    return e.code;
  }
}

// --- arbitraries ---------------------------------------------------------------------------
const len = (n: number): number[] => (n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
const tlv = (tag: number, body: Uint8Array): Uint8Array => Uint8Array.from([tag, ...len(body.length), ...body]);
const OIDS = [
  '2a864886f70d010702',
  '2a864886f70d010703',
  '2a864886f70d010701',
  '2a864886f70d010903',
  '6086480186f8450109 07'.replace(' ', ''),
];

const { tree } = fc.letrec<{ tree: Uint8Array; leaf: Uint8Array }>((t) => ({
  leaf: fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((b) => tlv(0x04, b)),
    fc.constantFrom(...OIDS).map((h) => tlv(0x06, Buffer.from(h, 'hex'))),
    fc.integer({ min: 0, max: 30 }).map((n) => tlv(0x02, Uint8Array.from([n]))),
    fc.string({ maxLength: 20 }).map((s) => tlv(0x13, Buffer.from(s))),
    fc.tuple(fc.integer({ min: 0x80, max: 0x84 }), fc.uint8Array({ maxLength: 30 })).map(([tag, b]) => tlv(tag, b)),
  ),
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    t('leaf'),
    fc
      .tuple(fc.constantFrom(0x30, 0x31, 0xa0, 0xa1), fc.array(t('tree'), { maxLength: 5 }))
      .map(([tag, kids]) => tlv(tag, Buffer.concat(kids))),
  ),
}));

/** ContentInfo(signedData, [0] <random tree>) so the fuzzer gets past the first checks. */
const signedDataShaped = tree.map((inner) =>
  tlv(0x30, Buffer.concat([tlv(0x06, Buffer.from(OIDS[0] ?? '', 'hex')), tlv(0xa0, inner)])),
);

type Mutation = { kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate'; at: number; value: number; n: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate'),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
  n: fc.integer({ min: 1, max: 64 }),
});

function mutate(src: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(src);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] = (b[at] ?? 0) ^ (1 << (m.value % 8));
    else if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.n, m.value), b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
    else b = b.subarray(0, at);
  }
  return b;
}

// --- properties ----------------------------------------------------------------------------
describe('parsePkiMessage never throws anything but a SCEP AppError', { timeout: 240_000 }, () => {
  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (b) => {
        assert.equal(await outcome(b), 'ERR_SCEP_BAD_MESSAGE');
      }),
      { numRuns: 500 },
    );
  });

  it('random DER trees shaped like a ContentInfo', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(tree, signedDataShaped), async (b) => {
        assert.equal(await outcome(b), 'ERR_SCEP_BAD_MESSAGE');
      }),
      { numRuns: 500 },
    );
  });

  it('mutated valid pkiMessages', async () => {
    const valid = await signPkiMessage({
      envelope: opensslEnvelope(pki, pki.csrDer, ['ra.pem']),
      messageType: 19,
      signerCertDer: pki.selfDer,
      signerKeyPem: pki.deviceKeyPem,
    });
    assert.equal(await outcome(valid), 'ok');
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (ms) => {
        await outcome(mutate(valid, ms)); // 'ok' is possible (bytes no one checks, e.g. the cert's own signature)
      }),
      { numRuns: 1500 },
    );
  });

  it('mutated envelopes inside correctly signed messages (reaches the decrypt path)', async () => {
    const envelope = opensslEnvelope(pki, pki.csrDer, ['ra.pem']);
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
        const der = await signPkiMessage({
          envelope: mutate(envelope, ms),
          messageType: 19,
          signerCertDer: pki.selfDer,
          signerKeyPem: pki.deviceKeyPem,
        });
        assert.notEqual(await outcome(der), 'ERR_SCEP_BAD_SIGNATURE');
      }),
      { numRuns: 200 },
    );
  });

  it('pathological encodings: deep nesting, huge lengths, indefinite lengths', async () => {
    const deep = Buffer.concat([Buffer.alloc(200_000, 0).map((_, i) => (i % 2 === 0 ? 0x30 : 0x80))]);
    const inputs = [
      deep,
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]),
      Buffer.from([0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      Buffer.from([0x30, 0x80, 0x00, 0x00]),
      Buffer.from([0x24, 0x80, 0x24, 0x80, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00]),
    ];
    for (const b of inputs) assert.equal(await outcome(b), 'ERR_SCEP_BAD_MESSAGE');
  });
});

describe('parseDegenerate never throws anything but ERR_SCEP_BAD_MESSAGE', () => {
  it('random trees and bytes', () => {
    fc.assert(
      fc.property(fc.oneof(tree, signedDataShaped, fc.uint8Array({ maxLength: 1024 })), (b) => {
        try {
          parseDegenerate(b);
        } catch (e) {
          assert.ok(isAppError(e, 'ERR_SCEP_BAD_MESSAGE'), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
