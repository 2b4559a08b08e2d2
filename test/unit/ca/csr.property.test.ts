/**
 * Property tests for parseCsr (CONTRIBUTING: garbage and mutated input return or throw an
 * AppError, never hang or crash). A mutated request that still parses must carry exactly the
 * signed CertificationRequestInfo of the original (RFC 2986 §3: the signature covers it), and
 * its signature must also verify through OpenSSL's own SPKI decoder.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as der from '../../../ca/asn1/index.ts';
import { OID } from '../../../ca/asn1/index.ts';
import { parseCsr } from '../../../ca/csr.ts';
import { isAppError } from '../../../platform/errors.ts';

const CSR_CODES = ['ERR_CSR_MALFORMED', 'ERR_CSR_SIGNATURE', 'ERR_CSR_POLICY', 'ERR_KEY_POLICY', 'ERR_CSR_TOO_LARGE'];

function build(key: { privateKey: KeyObject; publicKey: KeyObject }, sigAlg: Buffer, hash: string | null): Buffer {
  const san = der.encodeGeneralNames({ dns: ['dev.example'], ip: ['2001:db8::1'] });
  const info = der.seq(
    der.integer(0),
    der.encodeName({ commonName: 'dev-1', organization: 'Acme', country: 'FR' }),
    key.publicKey.export({ type: 'spki', format: 'der' }),
    der.tlv(
      0xa0,
      der.seq(der.oid(OID.challengePassword), der.set(der.utf8String('pw'))),
      der.seq(
        der.oid(OID.extensionRequest),
        der.set(
          der.seq(
            der.seq(der.oid(OID.subjectAltName), der.octetString(san)),
            der.seq(der.oid(OID.keyUsage), der.bool(true), der.octetString(der.namedBits([0]))),
          ),
        ),
      ),
    ),
  );
  return der.seq(info, sigAlg, der.bitString(sign(hash, info, key.privateKey)));
}

const valid: Buffer[] = [
  build(generateKeyPairSync('ec', { namedCurve: 'P-256' }), der.seq(der.oid(OID.ecdsaWithSHA256)), 'sha256'),
  build(generateKeyPairSync('ed25519'), der.seq(der.oid(OID.ed25519)), null),
  build(
    generateKeyPairSync('rsa', { modulusLength: 2048 }),
    der.seq(der.oid(OID.sha256WithRSAEncryption), der.nullDer()),
    'sha256',
  ),
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    v: fc.constantFrom(0x00, 0x80, 0x81, 0x84, 0xff, 0x30, 0xa0),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(buf: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of ms) {
    const at = b.length ? m.at % b.length : 0;
    if (m.kind === 'flip' && b.length) b[at] = (b[at] as number) ^ m.xor;
    else if (m.kind === 'set' && b.length) b[at] = m.v;
    else if (m.kind === 'cut') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
  }
  return b;
}

/** Parses; a thrown value must be a CSR AppError; a success must be consistent with `original`. */
function check(input: Buffer, original?: Buffer): void {
  let csr;
  try {
    csr = parseCsr(input);
  } catch (e) {
    if (!isAppError(e) || !CSR_CODES.includes(e.code)) throw e;
    return;
  }
  if (original) assert.deepEqual(csr.infoDer, parseCsr(original).infoDer);
  const outer = der.children(csr.der, der.parseDerExact(csr.der));
  const sig = der.readBitString(csr.der, outer[2]!).bytes;
  const hash = csr.key.kind === 'ed25519' ? null : 'sha256';
  assert.ok(verify(hash, csr.infoDer, createPublicKey({ key: csr.spkiDer, format: 'der', type: 'spki' }), sig));
}

describe('parseCsr under garbage and mutation', () => {
  it('the fixtures are valid', () => {
    for (const v of valid) assert.equal(parseCsr(v).challengePassword, 'pw');
  });

  it('mutated valid requests', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(mutation, { minLength: 1, maxLength: 3 }), (v, ms) => {
        check(mutate(v, ms), v);
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes, alone and behind a SEQUENCE header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (raw, wrap) => {
        check(wrap ? der.seq(Buffer.from(raw)) : Buffer.from(raw));
      }),
      { numRuns: 1000 },
    );
  });

  it('valid requests re-wrapped with random trailing or leading bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        fc.boolean(),
        (v, extra, front) => {
          const b = front ? Buffer.concat([Buffer.from(extra), v]) : Buffer.concat([v, Buffer.from(extra)]);
          assert.throws(
            () => parseCsr(b),
            (e) => isAppError(e) && CSR_CODES.includes(e.code),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
