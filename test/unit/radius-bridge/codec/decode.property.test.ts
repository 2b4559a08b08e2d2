/**
 * Property tests: decodePacket on garbage, mutated and truncated datagrams returns or throws AppError
 * ERR_RADIUS_MALFORMED and nothing else; verification of mutated signed packets never accepts a
 * change; encode -> decode round-trips random attribute lists (long EAP-Message included).
 * Encrypted attributes and address text: encode.property.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodePacket,
  encodePacket,
  verifyRequest,
  verifyResponse,
  type AttributeInput,
  type RadiusAttribute,
  type RadiusCodeName,
} from '../../../../radius-bridge/codec/index.ts';
import { isAppError } from '../../../../platform/errors.ts';

const SECRET = 'property-secret';
const REQ_AUTH = Buffer.from('a1b2c3d4e5f60718293a4b5c6d7e8f90', 'hex');
const CODES = [1, 2, 3, 4, 5, 11, 12, 40, 41, 42, 43, 44, 45];

/** Runs fn; true if it returned, false if it threw one of `codes`; anything else fails the property. */
function returnsOrThrows(fn: () => unknown, ...codes: Parameters<typeof isAppError>[1][]): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (codes.some((c) => isAppError(e, c))) return false;
    throw e;
  }
}

const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((u) => Buffer.from(u));
const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const int4 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

type Gen = { input: AttributeInput; expected: RadiusAttribute[] };
const plain = (name: AttributeInput & { name: string }, type: number, value: Buffer): Gen => ({
  input: name,
  expected: [{ type, value }],
});

const attribute: fc.Arbitrary<Gen> = fc.oneof(
  bytes(1, 253).map((v) => plain({ name: 'User-Name', value: v }, 1, v)),
  bytes(1, 253).map((v) => plain({ name: 'Proxy-State', value: v }, 33, v)),
  bytes(1, 253).map((v) => plain({ name: 'State', value: v }, 24, v)),
  uint32.map((n) => plain({ name: 'Session-Timeout', value: n }, 27, int4(n))),
  uint32.map((n) => plain({ name: 'Event-Timestamp', value: n }, 55, int4(n))),
  fc.ipV4().map((ip) => plain({ name: 'NAS-IP-Address', value: ip }, 4, Buffer.from(ip.split('.').map(Number)))),
  bytes(16, 16).map((v) => plain({ name: 'NAS-IPv6-Address', value: v }, 95, v)),
  fc
    .record({ n: fc.integer({ min: 0, max: 0xffffff }), tag: fc.integer({ min: 0, max: 31 }) })
    .map(({ n, tag }): Gen => ({
      input: { name: 'Tunnel-Type', value: n, tag },
      expected: [{ type: 64, tag, value: int4(n).subarray(1) }],
    })),
  fc.record({ v: bytes(0, 252), tag: fc.integer({ min: 0, max: 31 }) }).map(({ v, tag }): Gen => ({
    input: { name: 'Tunnel-Private-Group-Id', value: v, tag },
    expected: [{ type: 81, tag, value: v }],
  })),
  bytes(1, 1200).map((v): Gen => ({
    input: { name: 'EAP-Message', value: v },
    expected: Array.from({ length: Math.ceil(v.length / 253) }, (_, i) => ({
      type: 79,
      value: v.subarray(i * 253, (i + 1) * 253),
    })),
  })),
  bytes(1, 247).map((v): Gen => ({
    input: { name: 'Cisco-AVPair', value: v },
    expected: [{ type: 26, vendorId: 9, vendorType: 1, value: v }],
  })),
  fc
    .record({ vendorId: fc.integer({ min: 1000, max: 0xffffff }), vendorType: fc.nat(255), value: bytes(1, 247) })
    .map((r): Gen => ({ input: { type: 26, ...r }, expected: [{ type: 26, ...r }] })), // spreads: plain prototypes
  fc
    .record({ type: fc.integer({ min: 200, max: 255 }), value: bytes(1, 253) })
    .map((r): Gen => ({ input: r, expected: [{ ...r }] })),
);

const header = fc.record({ code: fc.constantFrom(...CODES), id: fc.nat(255), auth: bytes(16, 16) });
const tlvs = fc.array(
  fc.oneof(
    fc
      .record({ type: fc.nat(255), value: bytes(0, 60) })
      .map(({ type, value }) => Buffer.concat([Buffer.from([type, value.length + 2]), value])),
    bytes(1, 8),
  ),
  { maxLength: 12 },
);
/** Datagrams that mostly have a valid header and plausible attributes, so decoding goes deep. */
const plausible = fc.tuple(header, tlvs, fc.integer({ min: -3, max: 3 })).map(([h, parts, skew]) => {
  const body = Buffer.concat(parts);
  const p = Buffer.concat([Buffer.from([h.code, h.id, 0, 0]), h.auth, body]);
  p.writeUInt16BE(Math.max(0, Math.min(0xffff, p.length + skew)), 2);
  return p;
});

test('garbage and plausible datagrams: decodePacket returns or throws ERR_RADIUS_MALFORMED', () => {
  fc.assert(
    fc.property(fc.oneof(bytes(0, 5000), plausible), (datagram) => {
      returnsOrThrows(() => decodePacket(datagram), 'ERR_RADIUS_MALFORMED');
    }),
    { numRuns: 3000 },
  );
});

const signedCodes: RadiusCodeName[] = [
  'Access-Request',
  'Access-Accept',
  'Access-Challenge',
  'CoA-Request',
  'Accounting-Request',
];
const packetArb = fc
  .record({ code: fc.constantFrom(...signedCodes), id: fc.nat(255), attrs: fc.array(attribute, { maxLength: 10 }) })
  .map(({ code, id, attrs }) => {
    try {
      const packet = encodePacket({ code, identifier: id, attributes: attrs.map((a) => a.input) }, SECRET, {
        requestAuthenticator: REQ_AUTH,
        messageAuthenticator: true,
      });
      return { code, attrs, packet };
    } catch (e) {
      if (isAppError(e, 'ERR_TOO_LARGE')) return null;
      throw e;
    }
  })
  .filter((x) => x !== null);

function verify(code: RadiusCodeName, datagram: Buffer): void {
  if (code === 'Access-Accept' || code === 'Access-Challenge') {
    verifyResponse(datagram, REQ_AUTH, SECRET);
  } else {
    verifyRequest(datagram, decodePacket(datagram), SECRET, { requireMessageAuthenticator: true });
  }
}

test('encode -> decode round trip of random attribute lists, verified', () => {
  fc.assert(
    fc.property(packetArb, ({ code, attrs, packet }) => {
      const decoded = decodePacket(packet);
      assert.equal(decoded.codeName, code);
      assert.equal(decoded.attributes[0]?.type, 80);
      assert.deepEqual(
        decoded.attributes.slice(1),
        attrs.flatMap((a) => a.expected),
      );
      const eap = attrs.filter((a) => 'name' in a.input && a.input.name === 'EAP-Message');
      if (eap.length > 0) assert.ok(decoded.getConcatenated('EAP-Message')?.length);
      verify(code, packet);
    }),
    { numRuns: 500 },
  );
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: bytes(1, 4) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.nat(0xffff) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(p: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(p);
  switch (m.kind) {
    case 'flip':
      out[m.at % out.length] = (out[m.at % out.length] as number) ^ m.xor;
      return out;
    case 'truncate':
      return out.subarray(0, m.at % out.length);
    case 'insert': {
      const at = m.at % (out.length + 1);
      return Buffer.concat([out.subarray(0, at), m.value, out.subarray(at)]);
    }
    case 'length':
      if (out.length >= 4) out.writeUInt16BE(m.value, 2);
      return out;
  }
}

test('mutated and truncated signed packets: malformed or rejected, never accepted when changed', () => {
  fc.assert(
    fc.property(packetArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ code, packet }, ms) => {
      const bad = ms.reduce(mutate, packet);
      const decodedOk = returnsOrThrows(() => decodePacket(bad), 'ERR_RADIUS_MALFORMED');
      const accepted = returnsOrThrows(() => verify(code, bad), 'ERR_RADIUS_MALFORMED', 'ERR_RADIUS_AUTHENTICATOR');
      const sameSignedOctets = bad.length >= packet.length && bad.subarray(0, packet.length).equals(packet);
      if (accepted) {
        assert.ok(decodedOk);
        assert.ok(sameSignedOctets, 'a change inside the signed octets was accepted');
      }
      if (bad.length < packet.length) assert.equal(accepted, false, 'truncated packet accepted');
    }),
    { numRuns: 1500 },
  );
});

test('truncations of a valid packet are malformed', () => {
  fc.assert(
    fc.property(packetArb, fc.nat(), ({ packet }, n) => {
      const cut = packet.subarray(0, n % packet.length);
      assert.equal(
        returnsOrThrows(() => decodePacket(cut), 'ERR_RADIUS_MALFORMED'),
        false,
      );
    }),
    { numRuns: 300 },
  );
});
