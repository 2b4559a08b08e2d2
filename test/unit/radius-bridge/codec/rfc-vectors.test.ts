/**
 * Known-answer vectors: RFC 2865 §7.1 (User-Password "arctangent", secret "xyzzy5461") and an
 * RFC 2548 MS-MPPE key vector derived with hashlib from the RFC text (independent.py), plus live
 * cross-checks of the same formulas against independent.py and python3-pyrad.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodePacket,
  decryptMppeKey,
  encodePacket,
  encryptMppeKey,
  hideUserPassword,
  revealUserPassword,
  verifyRequest,
  verifyResponse,
} from '../../../../radius-bridge/codec/index.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { hex, independent } from './independent.ts';

const SECRET = 'xyzzy5461';
const RFC_REQUEST = Buffer.from(
  '010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a801100506' +
    '00000003',
  'hex',
);
const RFC_ACCEPT = Buffer.from('0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f06000000000e06c0a80103', 'hex');
const RA = RFC_REQUEST.subarray(4, 20);
const HIDDEN = Buffer.from('0dbe708d93d413ce3196e43f782a0aee', 'hex');

// MSK-like key 00..1f, salt 0x8123, secret and authenticator of RFC 2865 §7.1; computed by
// independent.py mppe_encrypt (hashlib, RFC 2548 §2.4.2 formulas), checked live below.
const MPPE_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const MPPE_SALT = 0x8123;
const MPPE_VECTOR = Buffer.from(
  '812397b9b50a491e330b72d83b47f3376fbf4a15b5f7c0c0aaa6479a3f03b113c28592c3f03cfc86dc5803d90b0ffdad4497',
  'hex',
);

test('RFC 2865 §7.1 Access-Request decodes and reveals "arctangent"', () => {
  const p = decodePacket(RFC_REQUEST);
  assert.equal(p.codeName, 'Access-Request');
  assert.equal(p.identifier, 0);
  assert.equal(p.getString('User-Name'), 'nemo');
  assert.equal(p.getAddress('NAS-IP-Address'), '192.168.1.16');
  assert.equal(p.getInt('NAS-Port'), 3);
  assert.deepEqual(p.get('User-Password'), HIDDEN);
  assert.equal(revealUserPassword(HIDDEN, SECRET, p.authenticator).toString(), 'arctangent');
});

test('RFC 2865 §7.1 User-Password hiding gives the RFC octets', () => {
  assert.deepEqual(hideUserPassword('arctangent', SECRET, RA), HIDDEN);
});

test('RFC 2865 §7.1 Access-Request encodes to the RFC octets plus a leading Message-Authenticator', () => {
  const ours = encodePacket(
    {
      code: 'Access-Request',
      identifier: 0,
      authenticator: RA,
      attributes: [
        { name: 'User-Name', value: 'nemo' },
        { name: 'User-Password', value: 'arctangent' },
        { name: 'NAS-IP-Address', value: '192.168.1.16' },
        { name: 'NAS-Port', value: 3 },
      ],
    },
    SECRET,
  );
  assert.deepEqual(ours.subarray(20, 22), Buffer.from([80, 18]));
  const withoutMa = Buffer.concat([ours.subarray(0, 20), ours.subarray(38)]);
  withoutMa.writeUInt16BE(withoutMa.length, 2);
  assert.deepEqual(withoutMa, RFC_REQUEST);
  verifyRequest(ours, decodePacket(ours), SECRET, { requireMessageAuthenticator: true });
});

test('RFC 2865 §7.1 request without Message-Authenticator: accepted only when the NAS is not required to send it', () => {
  const p = decodePacket(RFC_REQUEST);
  verifyRequest(RFC_REQUEST, p, SECRET, { requireMessageAuthenticator: false });
  assert.throws(
    () => verifyRequest(RFC_REQUEST, p, SECRET, { requireMessageAuthenticator: true }),
    (e) => isAppError(e, 'ERR_RADIUS_AUTHENTICATOR'),
  );
});

test('RFC 2865 §7.1 Access-Accept Response Authenticator verifies', () => {
  const p = verifyResponse(RFC_ACCEPT, RA, SECRET, { requireMessageAuthenticator: false });
  assert.equal(p.getInt('Service-Type'), 1);
  assert.deepEqual(
    p.attributes.map((a) => [a.type, hex(a.value)]),
    [
      [6, '00000001'],
      [15, '00000000'],
      [14, 'c0a80103'],
    ],
  );
  // BlastRADIUS: by default an Access-Accept without Message-Authenticator is refused.
  assert.throws(
    () => verifyResponse(RFC_ACCEPT, RA, SECRET),
    (e) => isAppError(e, 'ERR_RADIUS_AUTHENTICATOR'),
  );
});

test('RFC 2548 MS-MPPE key: fixed vector encrypts and decrypts', () => {
  assert.deepEqual(encryptMppeKey(MPPE_KEY, SECRET, RA, MPPE_SALT), MPPE_VECTOR);
  assert.deepEqual(decryptMppeKey(MPPE_VECTOR, SECRET, RA), MPPE_KEY);
});

test('independent hashlib: User-Password and MPPE formulas agree for many lengths', (t) => {
  const passwords = [0, 1, 15, 16, 17, 31, 32, 33, 64, 128].map((len) => 'p'.repeat(len));
  const keys = [1, 15, 16, 32, 64, 239].map((len) => Buffer.alloc(len, len));
  const expected = independent<string[]>(t, 'batch', {
    requests: [
      ...passwords.map((password) => ({ op: 'hide_password', password, secret: SECRET, authenticator: hex(RA) })),
      ...keys.map((key) => ({
        op: 'mppe_encrypt',
        key: hex(key),
        secret: SECRET,
        authenticator: hex(RA),
        salt: 0x8000 + key.length,
      })),
    ],
  });
  if (expected === null) return;
  const ours = [
    ...passwords.map((pw) => hex(hideUserPassword(pw, SECRET, RA))),
    ...keys.map((key) => hex(encryptMppeKey(key, SECRET, RA, 0x8000 + key.length))),
  ];
  assert.deepEqual(ours, expected);
});

test('independent hashlib: Access-Accept Message-Authenticator and Response Authenticator', (t) => {
  const accept = encodePacket(
    {
      code: 'Access-Accept',
      identifier: 0,
      attributes: [
        { type: 6, value: Buffer.from('00000001', 'hex') },
        { type: 15, value: Buffer.from('00000000', 'hex') },
        { type: 14, value: Buffer.from('c0a80103', 'hex') },
      ],
    },
    SECRET,
    { requestAuthenticator: RA },
  );
  const resigned = independent<string>(t, 'resign', {
    packet: hex(accept),
    secret: SECRET,
    kind: 'response',
    request_authenticator: hex(RA),
  });
  if (resigned === null) return;
  assert.equal(resigned, hex(accept));
});

test('pyrad: parses our Accept, verifies its Response Authenticator and our hidden password', (t) => {
  const accept = encodePacket(
    {
      code: 'Access-Accept',
      identifier: 9,
      attributes: [
        { name: 'Tunnel-Type', value: 'VLAN' },
        { name: 'Tunnel-Private-Group-Id', value: '100' },
        { name: 'EAP-Message', value: Buffer.from('03090004', 'hex') },
      ],
    },
    SECRET,
    { requestAuthenticator: RA },
  );
  const ok = independent<boolean>(t, 'pyrad_verify_reply', {
    packet: hex(accept),
    secret: SECRET,
    request_authenticator: hex(RA),
  });
  if (ok === null) return;
  assert.equal(ok, true);
  const seen = independent<Array<[string, string[]]>>(t, 'pyrad_decode', { packet: hex(accept), secret: SECRET });
  assert.deepEqual(seen?.slice(1), [
    ['64', ['0000000d']],
    ['81', ['313030']],
    ['79', ['03090004']],
  ]);
  const hidden = hideUserPassword('correct horse battery', SECRET, RA);
  const pw = independent<string>(t, 'pyrad_pw_decrypt', {
    hidden: hex(hidden),
    secret: SECRET,
    authenticator: hex(RA),
  });
  assert.equal(pw, 'correct horse battery');
});

test('pyrad: requests built by pyrad verify and decode here', (t) => {
  const attrs = (pairs: Array<[number, string]>) => pairs.map(([n, v]) => [n, Buffer.from(v).toString('hex')]);
  const auth = independent<string>(t, 'pyrad_build', {
    code: 1,
    id: 42,
    secret: SECRET,
    attributes: attrs([
      [1, 'aa-bb-cc-dd-ee-ff'],
      [2, 'aa-bb-cc-dd-ee-ff'],
    ]),
  });
  if (auth === null) return;
  const a = Buffer.from(auth, 'hex');
  const p = decodePacket(a);
  verifyRequest(a, p, SECRET, { requireMessageAuthenticator: false });
  assert.equal(
    revealUserPassword(p.get('User-Password') as Buffer, SECRET, p.authenticator).toString(),
    'aa-bb-cc-dd-ee-ff',
  );

  for (const code of [4, 40, 43]) {
    const built = independent<string>(t, 'pyrad_build', {
      code,
      id: 7,
      secret: SECRET,
      attributes: attrs([
        [44, 'session-1'],
        [31, '02-00-00-00-00-01'],
      ]),
    });
    const b = Buffer.from(built as string, 'hex');
    const q = decodePacket(b);
    verifyRequest(b, q, SECRET, { requireMessageAuthenticator: true });
    assert.equal(q.getString('Acct-Session-Id'), 'session-1');
    assert.throws(
      () => verifyRequest(b, q, 'wrong-secret', { requireMessageAuthenticator: true }),
      (e) => isAppError(e, 'ERR_RADIUS_AUTHENTICATOR'),
    );
  }
});
