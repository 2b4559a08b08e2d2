import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import { generateKey, SoftwareSigner } from '../../../../platform/crypto.ts';
import * as der from '../../../../ca/asn1/index.ts';
import { OID } from '../../../../ca/asn1/index.ts';
import {
  errorResponse,
  publicKeyHash,
  responderTemplate,
  signedResponse,
  singleResponse,
  OCSP_RESPONSE_STATUS,
} from '../../../../ca/ocsp/response.ts';
import { certIdDer, parseResponse, signatureValid } from './helpers.ts';

const certId = certIdDer({ nameHash: Buffer.alloc(20, 1), keyHash: Buffer.alloc(20, 2), serial: 0xabcdefn });
const t0 = new Date(Date.UTC(2026, 10, 25, 10, 0, 0, 789));
const t1 = new Date(Date.UTC(2026, 10, 25, 11, 0, 0));

describe('OCSP response encoding', () => {
  it('encodes non-successful statuses as a bare OCSPResponse', () => {
    for (const [name, code] of Object.entries(OCSP_RESPONSE_STATUS)) {
      if (name === 'successful') continue;
      const b = errorResponse(name as 'tryLater');
      assert.deepEqual(b, Buffer.from([0x30, 0x03, 0x0a, 0x01, code]), name);
      assert.deepEqual(parseResponse(b), { status: code, singles: [], certs: [] });
    }
  });

  it('encodes good, revoked (with and without reason) and unknown SingleResponses', () => {
    const good = singleResponse(certId, { kind: 'good' }, t0, t1);
    assert.ok(good.includes(Buffer.from([0x80, 0x00])));
    const unknown = singleResponse(certId, { kind: 'unknown' }, t0, null);
    assert.ok(unknown.includes(Buffer.from([0x82, 0x00])));
    const rev = singleResponse(certId, { kind: 'revoked', revokedAt: t0, reason: 1 }, t0, t1);
    assert.ok(rev.includes(Buffer.from([0xa0, 0x03, 0x0a, 0x01, 0x01])), 'keyCompromise [0] EXPLICIT ENUMERATED');
    const unspecified = singleResponse(certId, { kind: 'revoked', revokedAt: t0, reason: 0 }, t0, t1);
    assert.ok(!unspecified.includes(Buffer.from([0xa0, 0x03, 0x0a, 0x01])), 'unspecified reason omitted');
    assert.ok(good.includes(Buffer.from('20261125100000Z')), 'GeneralizedTime without fractions');
    assert.ok(!good.includes(Buffer.from('.789')));
  });

  for (const alg of ['P-256', 'P-384', 'Ed25519', 'RSA-2048'] as const) {
    it(`signs a BasicOCSPResponse with a ${alg} responder key`, () => {
      const signer = new SoftwareSigner(generateKey(alg));
      const fakeCert = der.seq(der.integer(7));
      const t = responderTemplate(signer, [fakeCert]);
      const singles = [
        singleResponse(certId, { kind: 'good' }, t0, t1),
        singleResponse(certId, { kind: 'revoked', revokedAt: t0, reason: 9 }, t0, t1),
      ];
      const nonceExt = der.octetString(Buffer.from('0123456789abcdef'));
      const r = parseResponse(signedResponse(t, singles, t1, nonceExt));
      assert.equal(r.status, 0);
      assert.deepEqual(r.responderKeyHash, publicKeyHash(signer.spki));
      assert.equal(r.producedAt?.getTime(), t1.getTime());
      assert.equal(r.singles.length, 2);
      assert.deepEqual(r.singles[0]!.certIdDer, certId);
      assert.equal(r.singles[0]!.kind, 'good');
      assert.equal(r.singles[0]!.thisUpdate.getTime(), Math.floor(t0.getTime() / 1000) * 1000);
      assert.equal(r.singles[0]!.nextUpdate?.getTime(), t1.getTime());
      assert.equal(r.singles[1]!.kind, 'revoked');
      assert.equal(r.singles[1]!.reason, 9);
      assert.deepEqual(r.nonceExtnValue, nonceExt);
      assert.deepEqual(r.certs, [fakeCert]);
      const expected = {
        'P-256': OID.ecdsaWithSHA256,
        'P-384': OID.ecdsaWithSHA384,
        Ed25519: OID.ed25519,
        'RSA-2048': OID.sha256WithRSAEncryption,
      }[alg];
      assert.equal(r.sigAlg, expected);
      assert.ok(verify(signer.digest, r.tbs!, signer.publicKey, r.signature!));
    });
  }

  it('responderID byKey is SHA-1 of the subjectPublicKey bits (RFC 6960 §4.2.1)', () => {
    const signer = new SoftwareSigner(generateKey('P-256'));
    const raw = signer.publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(raw.x!, 'base64url'), Buffer.from(raw.y!, 'base64url')]);
    assert.deepEqual(publicKeyHash(signer.spki), createHash('sha1').update(point).digest());
    const r = parseResponse(
      signedResponse(responderTemplate(signer, []), [singleResponse(certId, { kind: 'good' }, t0, t1)], t0, null),
    );
    assert.equal(r.nonceExtnValue, undefined);
    assert.deepEqual(r.certs, []);
    assert.ok(signatureValid(r, signer.publicKey));
  });
});
