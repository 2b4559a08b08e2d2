/**
 * The owned DER reader/writer in enrollment/scep/der.ts, checked against asn1js (an independent
 * decoder) and against real BER from clients (indefinite lengths).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { parsePkiMessage } from '../../../../enrollment/scep/index.ts';
import { type Node, decode, integer, oid, oidOf, setOf, tlv } from '../../../../enrollment/scep/der.ts';
import { signPkiMessage } from './client.ts';
import { makePki, opensslEnvelope } from './pki.ts';

type Shape = { cls: number; tag: number; cons: boolean; body?: string; kids?: Shape[] };

const ours = (n: Node): Shape =>
  n.children
    ? { cls: n.cls, tag: n.tag, cons: true, kids: n.children.map(ours) }
    : { cls: n.cls, tag: n.tag, cons: false, body: n.content.toString('hex') };

const theirs = (n: asn1js.AsnType): Shape => {
  const cls = n.idBlock.tagClass - 1;
  const v = (n.valueBlock as unknown as { value?: asn1js.AsnType[] }).value;
  if (n.idBlock.isConstructed) return { cls, tag: n.idBlock.tagNumber, cons: true, kids: (v ?? []).map(theirs) };
  const hex = Buffer.from(n.valueBeforeDecodeView.subarray(n.idBlock.blockLength + n.lenBlock.blockLength)).toString(
    'hex',
  );
  return { cls, tag: n.idBlock.tagNumber, cons: false, body: hex };
};

const { node } = fc.letrec<{ node: Buffer }>((t) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc
      .tuple(fc.constantFrom(0x04, 0x02, 0x13, 0x0c, 0x80, 0x81, 0x9f), fc.uint8Array({ minLength: 1, maxLength: 300 }))
      .map(([tag, b]) =>
        tag === 0x9f
          ? Buffer.concat([Buffer.from([0x9f, 0x81, 0x00]), tlv(0x04, Buffer.from(b)).subarray(1)])
          : tlv(tag, Buffer.from(b)),
      ),
    fc
      .tuple(fc.constantFrom(0x30, 0x31, 0xa0, 0xa3), fc.array(t('node'), { maxLength: 4 }))
      .map(([tag, kids]) => tlv(tag, ...kids)),
  ),
}));

/** Re-encodes the first `levels` constructed elements along the first-child path with indefinite length. */
function indefinite(der: Buffer, levels: number): Buffer {
  if (levels === 0 || (der[0]! & 0x20) === 0) return der;
  const lb = der[1]!;
  const hl = lb < 0x80 ? 2 : 2 + (lb & 0x7f);
  const kidsBytes = der.subarray(hl);
  const n = decode(der);
  const first = n.children?.[0];
  if (!first) return der;
  const rest = kidsBytes.subarray(first.bytes.length);
  // for ContentInfo the interesting path is the second child ([0] content); recurse into the last child
  const last = n.children?.[n.children.length - 1];
  const body =
    n.children!.length > 1 && last
      ? Buffer.concat([
          kidsBytes.subarray(0, kidsBytes.length - last.bytes.length),
          indefinite(Buffer.from(last.bytes), levels - 1),
        ])
      : Buffer.concat([indefinite(Buffer.from(first.bytes), levels - 1), rest]);
  return Buffer.concat([Buffer.from([der[0]!, 0x80]), body, Buffer.from([0, 0])]);
}

describe('der reader', () => {
  it('decodes random DER trees exactly like asn1js', () => {
    fc.assert(
      fc.property(node, (der) => {
        const ref = asn1js.fromBER(der);
        assert.equal(ref.offset, der.length);
        assert.deepEqual(ours(decode(der)), theirs(ref.result));
      }),
      { numRuns: 500 },
    );
  });

  it('accepts a pkiMessage whose ContentInfo wrappers use BER indefinite lengths', async () => {
    const pki = makePki();
    const der = await signPkiMessage({
      envelope: opensslEnvelope(pki, pki.csrDer, ['ra.pem']),
      messageType: 19,
      signerCertDer: pki.selfDer,
      signerKeyPem: pki.deviceKeyPem,
    });
    const ber = indefinite(der, 2);
    assert.notDeepEqual(ber, der);
    assert.equal(ber[1], 0x80);
    assert.deepEqual((await parsePkiMessage(ber, { certDer: pki.raDer, key: pki.raKey })).csrDer, pki.csrDer);
  });

  const rejects: [string, Buffer][] = [
    ['trailing bytes', Buffer.from([0x05, 0x00, 0x00])],
    ['primitive SEQUENCE', Buffer.from([0x10, 0x00])],
    ['constructed INTEGER', Buffer.from([0x22, 0x03, 0x02, 0x01, 0x01])],
    ['indefinite primitive', Buffer.from([0x04, 0x80, 0x00, 0x00])],
    ['5-octet length', Buffer.from([0x04, 0x85, 0, 0, 0, 0, 1, 0])],
    ['length past end', Buffer.from([0x30, 0x05, 0x05, 0x00])],
    ['EOC inside definite content', Buffer.from([0x30, 0x02, 0x00, 0x00])],
    ['missing EOC', Buffer.from([0x30, 0x80, 0x05, 0x00])],
    [
      '41 levels of nesting',
      Buffer.concat([...Array(41).fill(Buffer.from([0x30, 0x80])), Buffer.from([0x05, 0x00]), Buffer.alloc(82)]),
    ],
    ['huge tag number', Buffer.from([0x9f, 0xff, 0xff, 0xff, 0x7f, 0x00])],
  ];
  for (const [name, der] of rejects) {
    it(`rejects ${name}`, () => assert.throws(() => decode(der), { name: 'Error' }));
  }

  it('oid: round trip, and non-minimal or truncated arcs are refused', () => {
    for (const o of ['1.2.840.113549.1.7.2', '2.16.840.1.113733.1.9.7', '2.999.1', '0.9.2342.19200300.100.1.1']) {
      assert.equal(oidOf(decode(oid(o))), o);
      assert.equal((asn1js.fromBER(oid(o)).result as asn1js.ObjectIdentifier).valueBlock.toString(), o);
    }
    assert.throws(() => oidOf(decode(Buffer.from([0x06, 0x02, 0x80, 0x01]))));
    assert.throws(() => oidOf(decode(Buffer.from([0x06, 0x01, 0x81]))));
  });
});

describe('der writer', () => {
  it('SET OF is sorted by encoding (X.690 §11.6) and INTEGERs are minimal', () => {
    const a = tlv(0x04, Buffer.from([2]));
    const b = tlv(0x02, Buffer.from([9]));
    assert.deepEqual(setOf([a, b]), Buffer.concat([Buffer.from([0x31, 6]), b, a]));
    assert.deepEqual(integer(0), Buffer.from([2, 1, 0]));
    assert.deepEqual(integer(Buffer.from([0, 0, 0x7f])), Buffer.from([2, 1, 0x7f]));
    assert.deepEqual(integer(Buffer.from([0x80])), Buffer.from([2, 2, 0, 0x80]));
  });

  it('long lengths use the minimal number of octets', () => {
    for (const n of [127, 128, 255, 256, 65535, 65536]) {
      const der = tlv(0x04, Buffer.alloc(n));
      assert.equal(asn1js.fromBER(der).offset, der.length);
      assert.equal(der.length - n, n < 128 ? 2 : n < 256 ? 3 : n < 65536 ? 4 : 5);
    }
  });
});
