/**
 * SCEP handlers on broken and unusual messages (RFC 8894 §3.2, §3.3.2): bad PKCS#7 -> 400,
 * everything that names a transaction -> an RA-signed CertRep FAILURE; GetCACert, GetCert and
 * GetCRL (§3.3.4, §3.3.5, §4.2); metrics.
 */
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { enrollmentSection } from '../../../../platform/config/sections/enrollment.ts';
import { buildCrl, crlIssuerOf } from '../../../../ca/crl/index.ts';
import { parseDegenerate } from '../../../../enrollment/scep/index.ts';
import { createScepEnv, type ScepEnv } from './env.ts';
import { flip } from './client.ts';
import { csrOf, issuerAndSerial, pkiMessage, readReply, selfSigned, withCert, type Reply, type Requester } from './requester.ts';

let env: ScepEnv;
let crls = 0;
before(async () => {
  env = await createScepEnv({
    crlSource: {
      async latest(issuerId) {
        crls++;
        const issuer = env.pki.ca.issuer(issuerId);
        if (!issuer) return null;
        const now = new Date();
        const p = { issuer: crlIssuerOf(issuer), number: 7, thisUpdate: now, nextUpdate: new Date(+now + 3600_000), idpUrl: 'http://127.0.0.1/crl/x.crl' };
        return buildCrl(p, [{ serial: '1234', revokedAt: Math.floor(+now / 1000) - 60, reason: 'keyCompromise' }]);
      },
    },
  });
});
after(() => env.cleanup());

const ctx = { label: undefined, peer: '192.0.2.20' };
const raDer = (): Buffer => env.ra.current().certDer;

async function answer(der: Buffer, by: Requester): Promise<Reply> {
  const r = await env.handlers.pkiOperation(der, ctx);
  assert.equal(r.status, 200, r.body.toString());
  return readReply(r.body, by, raDer());
}

async function enrolled(id: string): Promise<{ dev: Requester; cert: Buffer }> {
  const token = await env.addDevice(id);
  const dev = selfSigned();
  const der = await pkiMessage({ raDer: raDer(), content: csrOf(dev, { challenge: token }), type: 19, txid: `e-${id}`, by: dev });
  const rep = await answer(der, dev);
  assert.equal(rep.status, 'SUCCESS');
  return { dev, cert: rep.certs[0]! };
}

describe('messages that cannot be answered get HTTP 400', () => {
  for (const [name, bytes] of [
    ['empty', Buffer.alloc(0)],
    ['random bytes', randomBytes(300)],
    ['a DER NULL', Buffer.from([0x05, 0x00])],
    ['a certificate instead of a pkiMessage', null],
  ] as const) {
    it(name, async () => {
      const r = await env.handlers.pkiOperation(bytes ?? env.pki.issuer.record.certDer, ctx);
      assert.equal(r.status, 400);
    });
  }

  it('a truncated pkiMessage', async () => {
    const dev = selfSigned();
    const der = await pkiMessage({ raDer: raDer(), content: csrOf(dev), type: 19, txid: 'trunc-1', by: dev });
    assert.equal((await env.handlers.pkiOperation(der.subarray(0, der.length - 40), ctx)).status, 400);
  });
});

describe('messages that name a transaction get a signed CertRep FAILURE', () => {
  it('wrong recipient (enveloped to another certificate): FAILURE, no failInfoText', async () => {
    const dev = selfSigned();
    const der = await pkiMessage({ raDer: selfSigned().certDer, content: csrOf(dev), type: 19, txid: 'wrong-rcpt', by: dev });
    const r = await answer(der, dev);
    assert.equal(r.status, 'FAILURE');
    assert.equal(r.failInfo, 'badMessageCheck');
    assert.equal(r.failInfoText, undefined);
    assert.equal(r.transactionId, 'wrong-rcpt');
  });

  it('tampered signature or tampered content: FAILURE badMessageCheck, recipientNonce echoed', async () => {
    const dev = selfSigned();
    for (const where of ['signature', 'content'] as const) {
      const nonce = randomBytes(16);
      const der = await pkiMessage({ raDer: raDer(), content: csrOf(dev), type: 19, txid: `tamper-${where}`, by: dev, nonce });
      flip(der, where === 'signature' ? der.length - 1 : 200);
      const r = await answer(der, dev);
      assert.deepEqual([r.status, r.failInfo], ['FAILURE', 'badMessageCheck'], where);
      assert.deepEqual(r.recipientNonce, nonce);
    }
  });

  it('single DES while enrollment.scep.allowDesCbc is off (the default): FAILURE badAlg', async () => {
    assert.equal(enrollmentSection.parse({}).scep.allowDesCbc, false);
    const dev = selfSigned();
    const der = await pkiMessage({ raDer: raDer(), content: csrOf(dev), type: 19, txid: 'des-off', by: dev, cipher: 'des-cbc' });
    assert.deepEqual([(await answer(der, dev)).failInfo], ['badAlg']);
  });
});

describe('GetCACert, GetCACaps', () => {
  it('GetCACert: RA first (RSA, keyEncipherment, CN Gatehouse SCEP RA), then the CA chain', () => {
    const r = env.handlers.getCaCert();
    assert.equal(r.contentType, 'application/x-x509-ca-ra-cert');
    const certs = parseDegenerate(r.body);
    assert.deepEqual(certs, [raDer(), ...env.pki.ca.caCertificates()]);
    const ra = new X509Certificate(certs[0]!);
    assert.equal(ra.publicKey.asymmetricKeyType, 'rsa');
    assert.match(ra.subject, /CN=Gatehouse SCEP RA/);
    assert.equal(new X509Certificate(certs[1]!).publicKey.asymmetricKeyType, 'ec'); // EC issuing CA, RSA RA
    assert.ok(ra.checkIssued(new X509Certificate(env.pki.issuer.record.certDer)));
  });

  it('GetCACaps lists Renewal, AES, SHA-256, POSTPKIOperation, SCEPStandard', () => {
    const caps = env.handlers.getCaCaps().body.toString().split('\n');
    for (const c of ['Renewal', 'AES', 'SHA-256', 'POSTPKIOperation', 'SCEPStandard']) assert.ok(caps.includes(c), c);
  });
});

describe('GetCert (RFC 8894 §3.3.4) and GetCRL (§3.3.5)', () => {
  it("a device gets its own certificate; another device's or an unknown serial is badCertId", async () => {
    const a = await enrolled('cam-g1');
    const b = await enrolled('cam-g2');
    const me = withCert(a.dev.key, a.cert);
    const ask = async (content: Buffer, by: Requester, id: string): Promise<Reply> =>
      answer(await pkiMessage({ raDer: raDer(), content, type: 21, txid: id, by }), by);
    const own = await ask(issuerAndSerial(a.cert), me, 'getcert-own');
    assert.equal(own.status, 'SUCCESS');
    assert.deepEqual(own.certs, [a.cert]);
    const theirs = await ask(issuerAndSerial(b.cert), me, 'getcert-theirs');
    assert.deepEqual([theirs.status, theirs.failInfo], ['FAILURE', 'badCertId']);
    const bogus = Buffer.from(issuerAndSerial(a.cert));
    flip(bogus, bogus.length - 1);
    assert.equal((await ask(bogus, me, 'getcert-bogus')).failInfo, 'badCertId');
    const stranger = await ask(issuerAndSerial(a.cert), selfSigned(), 'getcert-stranger');
    assert.deepEqual([stranger.status, stranger.failInfo], ['FAILURE', 'badRequest']);
  });

  it('GetCRL returns the newest CRL of the named issuer inside the envelope', async () => {
    const a = await enrolled('cam-g3');
    const dev = withCert(a.dev.key, a.cert);
    const der = await pkiMessage({ raDer: raDer(), content: issuerAndSerial(a.cert), type: 22, txid: 'getcrl-1', by: dev });
    const before = crls;
    const r = await answer(der, dev);
    assert.equal(r.status, 'SUCCESS');
    assert.equal(crls, before + 1);
    assert.equal(r.crls.length, 1);
    assert.equal(r.certs.length, 0);
  });

  it('metrics count messages by type and status', async () => {
    const text = await env.metrics.getSingleMetricAsString('gatehouse_scep_messages_total');
    assert.match(text, /message_type="PKCSReq",status="SUCCESS"/);
    assert.match(text, /message_type="GetCert",status="FAILURE"/);
  });
});
