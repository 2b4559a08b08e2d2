/** Encoding rules of radius-bridge/codec/encode.ts and attributes.ts (RFC 2865, 2866, 2868, 3579). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodePacket,
  encodePacket,
  verifyRequest,
  type AttributeInput,
  type RadiusCodeName,
} from '../../../../radius-bridge/codec/index.ts';
import { isAppError, type ErrorCode } from '../../../../platform/errors.ts';
import { hex } from './independent.ts';
import { signHashedRequest, tlv, wireTlvs } from './wire.ts';

const SECRET = 'testing123';
const REQ_AUTH = Buffer.alloc(16, 0x5a);
const is = (code: ErrorCode) => (e: unknown) => isAppError(e, code);

const encode = (code: RadiusCodeName, attributes: AttributeInput[], ma = false) =>
  encodePacket({ code, identifier: 1, attributes }, SECRET, {
    requestAuthenticator: REQ_AUTH,
    messageAuthenticator: ma,
  });
const wire = (p: Buffer) => wireTlvs(p).map((a) => hex(a.bytes));

test('Tunnel-Private-Group-Id follows RFC 2868 §3.6 exactly', () => {
  const cases: Array<[string | Buffer, number | undefined, Buffer]> = [
    ['100', undefined, tlv(81, '100')],
    ['100', 0, tlv(81, '100')],
    ['100', 1, tlv(81, [1, ...Buffer.from('100')])],
    [Buffer.from([0x05, 0x41]), 0, tlv(81, [0, 0x05, 0x41])], // first octet <= 0x1F: keep the 0 tag
    [Buffer.from([0x1f]), 0, tlv(81, [0, 0x1f])],
    [Buffer.from([0x20]), 0, tlv(81, [0x20])],
    ['', 0, tlv(81, [0])],
  ];
  for (const [value, tag, expected] of cases) {
    const p = encode('Access-Accept', [{ name: 'Tunnel-Private-Group-Id', value, tag }]);
    assert.deepEqual(wire(p).slice(1), [hex(expected)], `${hex(Buffer.from(value))} tag ${tag}`);
    const back = decodePacket(p).find('Tunnel-Private-Group-Id');
    assert.deepEqual([back?.tag, back?.value], [tag ?? 0, Buffer.from(value)]);
  }
  assert.throws(
    () => encode('Access-Accept', [{ name: 'Tunnel-Private-Group-Id', value: 'x', tag: 32 }]),
    is('ERR_BAD_INPUT'),
  );
  assert.throws(() => encode('Access-Accept', [{ name: 'Tunnel-Type', value: 2 ** 24 }]), is('ERR_BAD_INPUT'));
  assert.throws(() => encode('Access-Accept', [{ name: 'Session-Timeout', value: 60, tag: 1 }]), is('ERR_BAD_INPUT'));
  assert.deepEqual(wire(encode('Access-Accept', [{ name: 'Tunnel-Type', value: 'VLAN', tag: 5 }])).slice(1), [
    hex(tlv(64, [5, 0, 0, 13])),
  ]);
});

test('value types: integers, enum names, addresses, dates', () => {
  const p = encode('Access-Accept', [
    { name: 'Session-Timeout', value: 0xfffffffe },
    { name: 'Service-Type', value: 'Framed' },
    { name: 'Framed-IP-Address', value: '10.1.2.3' },
    { name: 'NAS-IPv6-Address', value: '::ffff:10.1.2.3' },
    { name: 'Event-Timestamp', value: new Date('2024-07-09T00:00:00Z') },
    { name: 'Error-Cause', value: 'Session-Context-Not-Found' },
  ]);
  assert.deepEqual(wire(p).slice(1), [
    hex(tlv(27, [0xff, 0xff, 0xff, 0xfe])),
    hex(tlv(6, [0, 0, 0, 2])),
    hex(tlv(8, [10, 1, 2, 3])),
    hex(tlv(95, Buffer.from('00000000000000000000ffff0a010203', 'hex'))),
    hex(tlv(55, [0x66, 0x8c, 0x7d, 0x80])), // 1720483200
    hex(tlv(101, [0, 0, 1, 0xf7])),
  ]);
  for (const bad of [
    { name: 'Session-Timeout', value: -1 },
    { name: 'Session-Timeout', value: 2 ** 32 },
    { name: 'Session-Timeout', value: 1.5 },
    { name: 'Service-Type', value: 'Nope' },
    { name: 'Framed-IP-Address', value: '10.1.2' },
    { name: 'NAS-IPv6-Address', value: 'fe80::1%eth0' },
    { name: 'User-Name', value: 5 },
    { name: 'User-Name', value: '' },
  ] as AttributeInput[]) {
    assert.throws(() => encode('Access-Accept', [bad]), is('ERR_BAD_INPUT'), JSON.stringify(bad));
  }
});

test('long values: EAP-Message / Reply-Message split; other attributes refuse', () => {
  const reply = encode('Access-Reject', [{ name: 'Reply-Message', value: 'r'.repeat(300) }]);
  assert.deepEqual(
    wireTlvs(reply).map((a) => [a.type, a.value.length]),
    [
      [80, 16],
      [18, 253],
      [18, 47],
    ],
  );
  assert.throws(() => encode('Access-Accept', [{ name: 'User-Name', value: 'u'.repeat(254) }]), is('ERR_BAD_INPUT'));
  assert.throws(() => encode('Access-Accept', [{ name: 'Class', value: Buffer.alloc(254) }]), is('ERR_BAD_INPUT'));
  assert.throws(() => encode('Access-Accept', [{ name: 'Cisco-AVPair', value: 'a'.repeat(248) }]), is('ERR_BAD_INPUT'));
  const avpair = encode('Access-Accept', [{ name: 'Cisco-AVPair', value: 'a'.repeat(247) }]);
  assert.equal(decodePacket(avpair).getString('Cisco-AVPair'), 'a'.repeat(247));
  assert.throws(
    () => encode('Access-Challenge', [{ name: 'EAP-Message', value: Buffer.alloc(4096) }]),
    is('ERR_TOO_LARGE'),
  );
  // 20 header + 18 Message-Authenticator + 15 full TLVs of 255 + one of 233 = 4096.
  const max = encode('Access-Challenge', [{ name: 'EAP-Message', value: Buffer.alloc(253 * 15 + 231) }]);
  assert.equal(max.length, 4096);
});

test('request authenticators: Accounting-Request per RFC 2866 §3, Access-Request random or given', () => {
  const acct = encodePacket(
    {
      code: 'Accounting-Request',
      identifier: 200,
      attributes: [
        { name: 'Acct-Status-Type', value: 'Start' },
        { name: 'Acct-Session-Id', value: '0000001A' },
      ],
    },
    SECRET,
  );
  assert.deepEqual(
    wireTlvs(acct).map((a) => a.type),
    [40, 44],
    'no Message-Authenticator unless asked',
  );
  assert.equal(hex(signHashedRequest(acct, SECRET, 'rfc')), hex(acct));
  verifyRequest(acct, decodePacket(acct), SECRET, { requireMessageAuthenticator: true });

  const a = encodePacket({ code: 'Access-Request', identifier: 1, attributes: [] }, SECRET);
  const b = encodePacket({ code: 'Access-Request', identifier: 1, attributes: [] }, SECRET);
  assert.notEqual(hex(a.subarray(4, 20)), hex(b.subarray(4, 20)), 'random Request Authenticator');
  const given = encodePacket({ code: 'Status-Server', identifier: 1, authenticator: REQ_AUTH, attributes: [] }, SECRET);
  assert.deepEqual(given.subarray(4, 20), REQ_AUTH);
});

test('caller errors: responses need the request authenticator, encrypted attributes go where they belong', () => {
  const bad = is('ERR_BAD_INPUT');
  assert.throws(() => encodePacket({ code: 'Access-Accept', identifier: 1, attributes: [] }, SECRET), bad);
  assert.throws(
    () =>
      encodePacket({ code: 'CoA-ACK', identifier: 1, attributes: [] }, SECRET, {
        requestAuthenticator: Buffer.alloc(15),
      }),
    bad,
  );
  assert.throws(() => encodePacket({ code: 'Access-Request', identifier: 256, attributes: [] }, SECRET), bad);
  assert.throws(() => encodePacket({ code: 99 as never, identifier: 1, attributes: [] }, SECRET), bad);
  assert.throws(() => encode('Access-Accept', [{ name: 'User-Password', value: 'x' }]), bad);
  assert.throws(
    () =>
      encodePacket(
        { code: 'Access-Request', identifier: 1, attributes: [{ name: 'User-Password', value: 'x'.repeat(129) }] },
        SECRET,
      ),
    bad,
  );
  assert.throws(
    () =>
      encodePacket(
        { code: 'Access-Request', identifier: 1, attributes: [{ name: 'MS-MPPE-Send-Key', value: Buffer.alloc(32) }] },
        SECRET,
      ),
    bad,
  );
  assert.throws(() => encode('Access-Accept', [{ name: 'Nope' as never, value: 'x' }]), bad);
  assert.throws(() => encode('Access-Accept', [{ type: 0, value: Buffer.from('x') }]), bad);
  assert.throws(() => encode('Access-Accept', [{ type: 1, vendorId: 9, value: Buffer.from('x') }]), bad);
  assert.throws(() => encode('Access-Accept', [{ type: 26, value: Buffer.from('0000000901037a', 'hex') }]), bad);
  assert.throws(() => encodePacket({ code: 'Access-Request', identifier: 1, attributes: [] }, ''), is('ERR_CONFIG'));
});

test('raw attributes (decoded form) pass through unchanged, Vendor-Specific by name included', () => {
  const src = encode('Access-Accept', [
    { name: 'Tunnel-Medium-Type', value: 'IEEE-802', tag: 1 },
    { name: 'Vendor-Specific', value: Buffer.concat([Buffer.from([0, 0, 0, 9]), tlv(1, 'shell:priv-lvl=15')]) },
    { name: 'MS-MPPE-Recv-Key', value: Buffer.alloc(32, 7) },
    { type: 26, vendorId: 4242, value: Buffer.from('opaque') },
    { type: 222, value: Buffer.from('unknown') },
  ]);
  const decoded = decodePacket(src);
  assert.equal(decoded.getString('Cisco-AVPair'), 'shell:priv-lvl=15');
  const again = encodePacket({ code: 'Access-Accept', identifier: 1, attributes: decoded.attributes }, SECRET, {
    requestAuthenticator: REQ_AUTH,
  });
  assert.equal(hex(again), hex(src), 'same octets, MPPE value not re-encrypted');
});
