/** Strict decoding rules of radius-bridge/codec/decode.ts (RFC 2865 §3, §5, §5.26; RFC 2868 §3). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePacket } from '../../../../radius-bridge/codec/index.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { tlv } from './wire.ts';

const AUTH = Buffer.alloc(16, 0xa5);
const malformed = (e: unknown) => isAppError(e, 'ERR_RADIUS_MALFORMED');

function packet(code: number, attrs: Buffer[], opts: { length?: number; padding?: number } = {}): Buffer {
  const body = Buffer.concat(attrs);
  const p = Buffer.concat([Buffer.from([code, 42, 0, 0]), AUTH, body, Buffer.alloc(opts.padding ?? 0, 0xee)]);
  p.writeUInt16BE(opts.length ?? 20 + body.length, 2);
  return p;
}

const vsa = (vendor: number, data: Buffer) => {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(vendor);
  return tlv(26, Buffer.concat([id, data]));
};

test('header: 20..4096 octets, Length within the datagram, known code', () => {
  assert.throws(() => decodePacket(Buffer.alloc(19)), malformed);
  assert.throws(() => decodePacket(packet(1, [], { length: 19 })), malformed);
  assert.throws(() => decodePacket(packet(1, [tlv(1, 'a')], { length: 24 })), malformed, 'Length > datagram');
  assert.throws(() => decodePacket(packet(1, [Buffer.alloc(4100 - 20)], { length: 4100 })), malformed);
  assert.throws(() => decodePacket(packet(99, [])), malformed, 'unknown code');
  assert.throws(() => decodePacket('not bytes' as never), malformed);
  const empty = decodePacket(packet(2, []));
  assert.equal(empty.codeName, 'Access-Accept');
  assert.equal(empty.identifier, 42);
  assert.deepEqual(empty.authenticator, AUTH);
  assert.equal(empty.attributes.length, 0);
});

test('octets past Length are padding and ignored (RFC 2865 §3)', () => {
  const p = decodePacket(packet(1, [tlv(1, 'nemo')], { padding: 7 }));
  assert.equal(p.length, 26);
  assert.deepEqual(
    p.attributes.map((a) => a.type),
    [1],
  );
  // An attribute reaching into the padding is out of bounds even though the datagram has the octets.
  const overrun = packet(1, [tlv(1, 'nemo')], { padding: 7 });
  overrun[21] = 9;
  assert.throws(() => decodePacket(overrun), malformed);
});

test('attribute length: >= 2 and inside the packet', () => {
  assert.throws(() => decodePacket(packet(1, [Buffer.from([1, 0])])), malformed);
  assert.throws(() => decodePacket(packet(1, [Buffer.from([1, 1])])), malformed);
  assert.throws(() => decodePacket(packet(1, [Buffer.from([1])])), malformed, 'truncated header');
  assert.throws(() => decodePacket(packet(1, [Buffer.from([1, 5, 0x41])])), malformed);
  const empty = decodePacket(packet(1, [Buffer.from([18, 2])]));
  assert.deepEqual(empty.get('Reply-Message'), Buffer.alloc(0));
});

test('fixed-size types must have their size', () => {
  assert.throws(() => decodePacket(packet(1, [tlv(5, [0, 0, 1])])), malformed, 'integer');
  assert.throws(() => decodePacket(packet(1, [tlv(4, [10, 0, 0])])), malformed, 'ipaddr');
  assert.throws(() => decodePacket(packet(1, [tlv(95, Buffer.alloc(15))])), malformed, 'ipv6addr');
  assert.throws(() => decodePacket(packet(1, [tlv(80, Buffer.alloc(15))])), malformed, 'Message-Authenticator');
  assert.throws(() => decodePacket(packet(2, [tlv(64, [0, 0, 13])])), malformed, 'tagged integer');
  assert.equal(decodePacket(packet(1, [tlv(200, [1])])).attributes[0]?.type, 200, 'unknown types kept raw');
});

test('tags: Tunnel-Type always tagged; Tunnel-Private-Group-Id tag only when first octet <= 0x1F', () => {
  const p = decodePacket(
    packet(2, [
      tlv(64, [3, 0, 0, 13]),
      tlv(81, '100'),
      tlv(81, [0, ...Buffer.from('200')]),
      tlv(81, [0x1f, ...Buffer.from('300')]),
      tlv(81, [0x20, ...Buffer.from('400')]),
    ]),
  );
  assert.equal(p.find('Tunnel-Type')?.tag, 3);
  assert.equal(p.getInt('Tunnel-Type'), 13);
  assert.deepEqual(
    p.findAll('Tunnel-Private-Group-Id').map((a) => [a.tag, a.value.toString('latin1')]),
    [
      [0, '100'],
      [0, '200'],
      [0x1f, '300'],
      [0, ' 400'],
    ],
  );
});

test('Vendor-Specific: sub-attributes, known vendors strict, unknown vendors kept whole', () => {
  const two = Buffer.concat([tlv(1, 'a=1'), tlv(1, 'b=2')]);
  const p = decodePacket(packet(2, [vsa(9, two), vsa(311, tlv(16, Buffer.alloc(34, 1))), vsa(4242, Buffer.from([1]))]));
  assert.deepEqual(
    p.getAll('Cisco-AVPair').map((b) => b.toString()),
    ['a=1', 'b=2'],
  );
  assert.equal(p.get('MS-MPPE-Send-Key')?.length, 34);
  assert.deepEqual(p.attributes[3], { type: 26, vendorId: 4242, value: Buffer.from([1]) });
  assert.throws(() => decodePacket(packet(2, [vsa(9, Buffer.from([1, 9, 0x41]))])), malformed, 'bad Cisco sub');
  assert.throws(() => decodePacket(packet(2, [vsa(9, Buffer.from([1, 2]))])), malformed, 'empty Cisco sub');
  assert.throws(() => decodePacket(packet(2, [tlv(26, [0, 0, 0, 9])])), malformed, 'VSA shorter than 7');
  assert.throws(() => decodePacket(packet(2, [vsa(0x01000009, tlv(1, 'x'))])), malformed, 'Vendor-Id high octet');
});

test('getters: typed values, order kept, concatenation, copies of the input', () => {
  const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
  const input = packet(1, [
    tlv(1, 'printer-7'),
    tlv(79, 'abc'),
    tlv(33, 'p1'),
    tlv(79, 'def'),
    tlv(95, v6),
    tlv(55, [0x65, 0x00, 0x00, 0x00]),
    tlv(33, 'p2'),
  ]);
  const p = decodePacket(new Uint8Array(input));
  assert.equal(p.getString('User-Name'), 'printer-7');
  assert.equal(p.getConcatenated('EAP-Message')?.toString(), 'abcdef');
  assert.deepEqual(p.getAll('Proxy-State').map(String), ['p1', 'p2']);
  assert.equal(p.getAddress('NAS-IPv6-Address'), '2001:db8::1');
  assert.equal(p.getInt('Event-Timestamp'), 0x65000000);
  assert.equal(p.get('State'), undefined);
  assert.equal(p.getConcatenated('State'), undefined);
  assert.equal(p.has('User-Name'), true);
  input.fill(0, 20);
  assert.equal(p.getString('User-Name'), 'printer-7', 'values do not alias the datagram');
});
