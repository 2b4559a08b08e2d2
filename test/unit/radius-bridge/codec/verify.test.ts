/** verifyRequest / verifyResponse (RFC 2865 §3, RFC 2866 §3, RFC 3579 §3.2-3.3, RFC 5176 §3.4, RFC 5997 §3). */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  decodePacket,
  encodePacket,
  verifyRequest,
  verifyResponse,
  type RadiusCodeName,
} from '../../../../radius-bridge/codec/index.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { tlv, wireTlvs } from './wire.ts';

const SECRET = 'sw1tch-secret';
const REQ_AUTH = Buffer.alloc(16, 0x42);
const rejected = (e: unknown) => isAppError(e, 'ERR_RADIUS_AUTHENTICATOR');
const malformed = (e: unknown) => isAppError(e, 'ERR_RADIUS_MALFORMED');
const REQUIRE = { requireMessageAuthenticator: true };
const flip = (b: Buffer, i: number) => {
  b[i] = (b[i] as number) ^ 1;
};
const check = (p: Buffer, secret = SECRET, opts = REQUIRE) => verifyRequest(p, decodePacket(p), secret, opts);

const accessRequest = () =>
  encodePacket(
    {
      code: 'Access-Request',
      identifier: 17,
      attributes: [
        { name: 'User-Name', value: 'printer-7' },
        { name: 'EAP-Message', value: Buffer.from('0211000e017072696e7465722d37', 'hex') },
      ],
    },
    SECRET,
  );

test('Access-Request: Message-Authenticator verified over the packet; tampering or wrong secret rejected', () => {
  const good = accessRequest();
  check(good);
  const tampered = Buffer.from(good);
  flip(tampered, tampered.length - 1);
  assert.throws(() => check(tampered), rejected);
  assert.throws(() => check(good, 'other-secret'), rejected);
  // Octets past Length are padding: not covered, not harmful.
  check(Buffer.concat([good, Buffer.from('trailing')]));
});

test('more than one Message-Authenticator is rejected, even when the first one is valid', () => {
  const good = accessRequest();
  const twice = Buffer.concat([good, tlv(80, Buffer.alloc(16))]);
  twice.writeUInt16BE(twice.length, 2);
  twice.fill(0, 22, 38);
  createHmac('md5', SECRET).update(twice).digest().copy(twice, 22);
  assert.throws(() => check(twice), rejected);
});

test('Status-Server needs a valid Message-Authenticator (RFC 5997 §3)', () => {
  const s = encodePacket(
    { code: 'Status-Server', identifier: 1, attributes: [{ name: 'NAS-Identifier', value: 'sw1' }] },
    SECRET,
  );
  check(s, SECRET, { requireMessageAuthenticator: false });
  const bad = Buffer.from(s);
  flip(bad, (wireTlvs(s)[0]?.offset ?? 0) + 2);
  assert.throws(() => check(bad, SECRET, { requireMessageAuthenticator: false }), rejected);
});

test('Accounting/CoA/Disconnect requests: Request Authenticator, and Message-Authenticator with zero authenticator', () => {
  for (const code of ['Accounting-Request', 'CoA-Request', 'Disconnect-Request'] as RadiusCodeName[]) {
    const plain = encodePacket(
      { code, identifier: 5, attributes: [{ name: 'Acct-Session-Id', value: 's-1' }] },
      SECRET,
    );
    check(plain);
    assert.throws(() => check(plain, 'other-secret'), rejected, code);
    const signed = encodePacket(
      { code, identifier: 5, attributes: [{ name: 'Acct-Session-Id', value: 's-1' }] },
      SECRET,
      {
        messageAuthenticator: true,
      },
    );
    check(signed);
    // Break only the HMAC: change the Message-Authenticator, then fix the MD5 Request Authenticator.
    const bad = Buffer.from(signed);
    flip(bad, 22);
    createHash('md5')
      .update(bad.subarray(0, 4))
      .update(Buffer.alloc(16))
      .update(bad.subarray(20))
      .update(SECRET)
      .digest()
      .copy(bad, 4);
    assert.throws(() => check(bad), rejected, `${code} Message-Authenticator`);
  }
});

test('verifyRequest refuses responses and decoded packets that are not the datagram', () => {
  const ack = encodePacket({ code: 'CoA-ACK', identifier: 1, attributes: [] }, SECRET, {
    requestAuthenticator: REQ_AUTH,
  });
  assert.throws(() => check(ack), malformed);
  const a = accessRequest();
  assert.throws(() => verifyRequest(a.subarray(0, 30), decodePacket(a), SECRET, REQUIRE), malformed);
});

test('verifyResponse: Response Authenticator keyed on our request; Message-Authenticator rules', () => {
  const nak = encodePacket(
    { code: 'CoA-NAK', identifier: 3, attributes: [{ name: 'Error-Cause', value: 'Session-Context-Not-Found' }] },
    SECRET,
    { requestAuthenticator: REQ_AUTH },
  );
  assert.equal(verifyResponse(nak, REQ_AUTH, SECRET).getInt('Error-Cause'), 503);
  assert.throws(() => verifyResponse(nak, Buffer.alloc(16, 0x43), SECRET), rejected, 'other request');
  assert.throws(() => verifyResponse(nak, REQ_AUTH, 'other-secret'), rejected);
  assert.throws(() => verifyResponse(nak, REQ_AUTH, SECRET, { requireMessageAuthenticator: true }), rejected);
  assert.throws(() => verifyResponse(accessRequest(), REQ_AUTH, SECRET), malformed, 'a request is not a response');
  assert.throws(
    () => verifyResponse(nak, Buffer.alloc(3), SECRET),
    (e) => isAppError(e, 'ERR_BAD_INPUT'),
  );

  const dack = encodePacket({ code: 'Disconnect-ACK', identifier: 3, attributes: [] }, SECRET, {
    requestAuthenticator: REQ_AUTH,
    messageAuthenticator: true,
  });
  verifyResponse(dack, REQ_AUTH, SECRET, { requireMessageAuthenticator: true });

  // A response with EAP-Message but no Message-Authenticator (hand-built, our encoder cannot).
  const eap = Buffer.concat([Buffer.from([11, 3, 0, 0]), Buffer.alloc(16), tlv(79, [1, 3, 0, 4])]);
  eap.writeUInt16BE(eap.length, 2);
  createHash('md5')
    .update(eap.subarray(0, 4))
    .update(REQ_AUTH)
    .update(eap.subarray(20))
    .update(SECRET)
    .digest()
    .copy(eap, 4);
  assert.throws(() => verifyResponse(eap, REQ_AUTH, SECRET, { requireMessageAuthenticator: false }), rejected);
  eap[0] = 5; // Accounting-Response with the same body: authenticator now wrong too
  assert.throws(() => verifyResponse(eap, REQ_AUTH, SECRET, { requireMessageAuthenticator: false }), rejected);
});

test('Accounting-Response Message-Authenticator: zero authenticator, or the Status-Server one (RFC 5997 §3)', () => {
  const hmacOver = (p: Buffer, headerAuth: Buffer) => {
    const c = Buffer.from(p);
    headerAuth.copy(c, 4);
    c.fill(0, 22, 38);
    return createHmac('md5', SECRET).update(c).digest();
  };
  const toAcct = encodePacket({ code: 'Accounting-Response', identifier: 8, attributes: [] }, SECRET, {
    requestAuthenticator: REQ_AUTH,
    messageAuthenticator: true,
  });
  assert.deepEqual(toAcct.subarray(22, 38), hmacOver(toAcct, Buffer.alloc(16)));
  verifyResponse(toAcct, REQ_AUTH, SECRET, { requireMessageAuthenticator: true });
  const toStatus = encodePacket({ code: 'Accounting-Response', identifier: 8, attributes: [] }, SECRET, {
    requestAuthenticator: REQ_AUTH,
    messageAuthenticator: true,
    requestCode: 'Status-Server',
  });
  assert.deepEqual(toStatus.subarray(22, 38), hmacOver(toStatus, REQ_AUTH));
  verifyResponse(toStatus, REQ_AUTH, SECRET, { requestCode: 12 });
  assert.throws(() => verifyResponse(toStatus, REQ_AUTH, SECRET), rejected);
});
