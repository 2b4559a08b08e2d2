/**
 * Regression tests pinning the npm `radius` package (1.1.4) defects that made us own the codec
 * (see /work/shared/guide/PITFALLS.md, RADIUS section). One test per defect, named after it; the
 * expected octets come from the RFCs (wire.ts / independent.py), not from the codec.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';
import {
  decodePacket,
  decryptMppeKey,
  encodePacket,
  verifyRequest,
  verifyResponse,
  type RadiusCodeName,
} from '../../../../radius-bridge/codec/index.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { hex, independent } from './independent.ts';
import { signHashedRequest, tlv, wireTlvs } from './wire.ts';

const SECRET = 'gatehouse-test-secret';
const REQ_AUTH = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const rejected = (e: unknown) => isAppError(e, 'ERR_RADIUS_AUTHENTICATOR');
const checkRequest = (b: Buffer, requireMessageAuthenticator = true, limitProxyState = false) =>
  verifyRequest(b, decodePacket(b), SECRET, { requireMessageAuthenticator, limitProxyState });

test('defect 1, stray tag byte: Accept with Tunnel-* then EAP-Message has no stray byte', () => {
  const eap = Buffer.from('03070004', 'hex'); // EAP-Success
  const state = Buffer.from('cafe', 'hex');
  const accept = encodePacket(
    {
      code: 'Access-Accept',
      identifier: 7,
      attributes: [
        { name: 'Tunnel-Type', value: 'VLAN' },
        { name: 'Tunnel-Medium-Type', value: 'IEEE-802' },
        { name: 'Tunnel-Private-Group-Id', value: '100' },
        { name: 'EAP-Message', value: eap },
        { name: 'Tunnel-Private-Group-Id', value: '200', tag: 2 },
        { name: 'Class', value: state },
      ],
    },
    SECRET,
    { requestAuthenticator: REQ_AUTH },
  );
  assert.deepEqual(
    wireTlvs(accept)
      .slice(1)
      .map((a) => hex(a.bytes)),
    [
      tlv(64, [0, 0, 0, 13]), // RFC 2868 §3.1: tag 0 + 3-octet VLAN
      tlv(65, [0, 0, 0, 6]), // §3.2: tag 0 + IEEE-802
      tlv(81, '100'), // §3.6: tag 0 and first octet > 0x1F: no tag octet
      tlv(79, eap), // nothing carried over from the tagged attributes
      tlv(81, [2, ...Buffer.from('200')]),
      tlv(25, state),
    ].map(hex),
  );
  const back = verifyResponse(accept, REQ_AUTH, SECRET);
  assert.deepEqual(back.getConcatenated('EAP-Message'), eap);
  assert.deepEqual(
    back.findAll('Tunnel-Private-Group-Id').map((a) => [a.tag, a.value.toString()]),
    [
      [0, '100'],
      [2, '200'],
    ],
  );
});

test('defect 2, CoA authenticator order: CoA with Message-Authenticator verifies with the independent computation', (t) => {
  for (const code of ['CoA-Request', 'Disconnect-Request'] as const) {
    const packet = encodePacket(
      {
        code,
        identifier: 3,
        attributes: [
          { name: 'Acct-Session-Id', value: '0000001A' },
          { name: 'Calling-Station-Id', value: '02-00-00-00-00-01' },
        ],
      },
      SECRET,
      { messageAuthenticator: true },
    );
    assert.equal(wireTlvs(packet)[0]?.type, 80);
    // RFC 5176 §3.4: HMAC over the packet with a zero authenticator first, then the MD5 Request Authenticator.
    assert.equal(hex(signHashedRequest(packet, SECRET, 'rfc')), hex(packet));
    checkRequest(packet);
    // The npm package's order (MD5 first, HMAC over the packet holding it) must not verify.
    const wrongOrder = signHashedRequest(packet, SECRET, 'radius-package');
    assert.throws(() => checkRequest(wrongOrder), rejected);

    const resigned = independent<string>(t, 'resign', { packet: hex(packet), secret: SECRET, kind: 'request' });
    if (resigned === null) return;
    assert.equal(resigned, hex(packet));
    assert.equal(independent<boolean>(t, 'pyrad_verify_hashed', { packet: hex(packet), secret: SECRET }), true);
  }
});

test('defect 3, lossy string comparison: authenticators compared with timingSafeEqual, every byte matters', (t) => {
  const spy = t.mock.method(crypto, 'timingSafeEqual');
  syncBuiltinESMExports();
  t.after(() => {
    spy.mock.restore();
    syncBuiltinESMExports();
  });
  const opts = { requestAuthenticator: REQ_AUTH, messageAuthenticator: true };
  const sign = (code: RadiusCodeName) => encodePacket({ code, identifier: 1, attributes: [] }, SECRET, opts);
  const checks: Array<[Buffer, (b: Buffer) => unknown]> = [
    [sign('CoA-Request'), (b) => checkRequest(b)],
    [sign('CoA-ACK'), (b) => verifyResponse(b, REQ_AUTH, SECRET)],
    [sign('Access-Request'), (b) => checkRequest(b)],
  ];
  let lossyEqual = 0;
  for (const [good, check] of checks) {
    check(good);
    const ma = wireTlvs(good)[0]?.offset as number;
    // The 16 authenticator octets (not for Access-Request: it is random) and the 16 Message-Authenticator octets.
    const positions = [
      ...(good[0] === 1 ? [] : [...Array(16).keys()].map((i) => 4 + i)),
      ...[...Array(16).keys()].map((i) => ma + 2 + i),
    ];
    for (const pos of positions) {
      for (const flip of [0x01, 0x80]) {
        const bad = Buffer.from(good);
        bad[pos] = (bad[pos] as number) ^ flip;
        if (bad.subarray(4, 20).toString('utf8') === good.subarray(4, 20).toString('utf8')) lossyEqual++;
        assert.throws(() => check(bad), rejected, `byte ${pos} ^ ${flip}`);
      }
    }
  }
  assert.ok(lossyEqual > 0, 'some mutations are invisible to a UTF-8 string comparison');
  assert.ok(spy.mock.callCount() > 0, 'crypto.timingSafeEqual was used');
  for (const call of spy.mock.calls) assert.equal((call.arguments[0] as Buffer).length, 16);
});

test('defect 4a, Message-Authenticator not required: missing or EAP without it is rejected', () => {
  const unsigned = (code: number, attrs: Buffer[]) => {
    const p = Buffer.concat([Buffer.from([code, 5, 0, 0]), REQ_AUTH, ...attrs]);
    p.writeUInt16BE(p.length, 2);
    return p;
  };
  const plain = unsigned(1, [tlv(1, 'printer-7'), tlv(31, '02-00-00-00-00-07')]);
  checkRequest(plain, false);
  assert.throws(() => checkRequest(plain, true), rejected, 'NAS required to send it');
  const eap = unsigned(1, [tlv(1, 'printer-7'), tlv(79, Buffer.from('0201000a017072696e74', 'hex'))]);
  assert.throws(() => checkRequest(eap, false), rejected, 'EAP-Message (RFC 3579 §3.3)');
  const proxied = unsigned(1, [tlv(1, 'printer-7'), tlv(33, 'hop1')]);
  checkRequest(proxied, false);
  assert.throws(() => checkRequest(proxied, false, true), rejected, 'limit-Proxy-State fallback');
  const status = unsigned(12, [tlv(32, 'switch-1')]);
  assert.throws(() => checkRequest(status, false), rejected, 'Status-Server (RFC 5997 §3)');
});

test('defect 4b, Message-Authenticator added last: it is the first attribute', () => {
  const always: RadiusCodeName[] = [
    'Access-Accept',
    'Access-Reject',
    'Access-Challenge',
    'Access-Request',
    'Status-Server',
  ];
  for (const code of [...always, 'CoA-Request', 'Disconnect-ACK'] as RadiusCodeName[]) {
    const ask = !always.includes(code);
    const p = encodePacket(
      {
        code,
        identifier: 1,
        attributes: [
          { name: 'Proxy-State', value: Buffer.from('p1') },
          { name: 'Message-Authenticator', value: Buffer.alloc(16) }, // listed last-ish: position ignored
          { name: 'Proxy-State', value: Buffer.from('p2') },
        ],
      },
      SECRET,
      { requestAuthenticator: REQ_AUTH, messageAuthenticator: ask },
    );
    const types = wireTlvs(p).map((a) => a.type);
    assert.deepEqual(types, [80, 33, 33], code);
    assert.equal(wireTlvs(p).filter((a) => a.type === 80).length, 1);
  }
  const reject = encodePacket({ code: 'Access-Reject', identifier: 1, attributes: [] }, SECRET, {
    requestAuthenticator: REQ_AUTH,
  });
  assert.equal(wireTlvs(reject)[0]?.type, 80, 'added unasked');
});

test('defect 4c, no splitting over 253 bytes: a 1000-byte EAP-Message splits into 253-byte chunks and reassembles', () => {
  const eap = crypto.randomBytes(1000);
  const challenge = encodePacket(
    {
      code: 'Access-Challenge',
      identifier: 4,
      attributes: [
        { name: 'EAP-Message', value: eap },
        { name: 'State', value: Buffer.from('round-2') },
      ],
    },
    SECRET,
    { requestAuthenticator: REQ_AUTH },
  );
  const tlvs = wireTlvs(challenge);
  const shape = tlvs.map((a) => `${a.type}:${a.value.length}`).join(' ');
  assert.equal(shape, '80:16 79:253 79:253 79:253 79:241 24:7');
  assert.deepEqual(Buffer.concat(tlvs.filter((a) => a.type === 79).map((a) => a.value)), eap);
  assert.deepEqual(verifyResponse(challenge, REQ_AUTH, SECRET).getConcatenated('EAP-Message'), eap);
});

test('defect 4d, MPPE keys not salt-encrypted: MS-MPPE keys are salt-encrypted with distinct salts', () => {
  const recv = crypto.randomBytes(32);
  const send = crypto.randomBytes(32);
  const encode = () =>
    encodePacket(
      {
        code: 'Access-Accept',
        identifier: 9,
        attributes: [
          { name: 'MS-MPPE-Recv-Key', value: recv },
          { name: 'MS-MPPE-Send-Key', value: send },
        ],
      },
      SECRET,
      { requestAuthenticator: REQ_AUTH },
    );
  const accept = encode();
  const vsas = wireTlvs(accept).filter((a) => a.type === 26);
  assert.equal(vsas.length, 2);
  const [recvWire, sendWire] = vsas.map((v) => {
    assert.equal(v.value.readUInt32BE(0), 311);
    assert.equal(v.value[5], 2 + 2 + 48, 'vendor-length: salt + 48 octets (1 + 32 padded to 16)');
    return v.value.subarray(6);
  }) as [Buffer, Buffer];
  for (const [wire, key] of [[recvWire, recv] as const, [sendWire, send] as const]) {
    assert.ok(((wire[0] as number) & 0x80) !== 0, 'salt high bit set');
    assert.equal(wire.indexOf(key.subarray(0, 8)), -1, 'plaintext key not on the wire');
    assert.deepEqual(decryptMppeKey(wire, SECRET, REQ_AUTH), key);
  }
  assert.notEqual(recvWire.readUInt16BE(0), sendWire.readUInt16BE(0), 'salts unique within the packet');
  const again = wireTlvs(encode()).filter((a) => a.type === 26);
  assert.notEqual(hex(again[0]?.value as Buffer), hex(vsas[0]?.value as Buffer), 'fresh salt per packet');
});
