/**
 * parsePkiMessage against requests built outside our code: envelopes from `openssl cms -encrypt`,
 * signatures from pkijs (RFC 8894 §3.2): every message type, cipher, key transport and digest we accept.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import { parsePkiMessage } from '../../../../enrollment/scep/index.ts';
import { rejection, signPkiMessage } from './client.ts';
import { makePki, opensslEnvelope } from './pki.ts';

const pki = makePki();
const ra = { certDer: pki.raDer, key: pki.raKey };
const selfSigned = { signerCertDer: pki.selfDer, signerKeyPem: pki.deviceKeyPem };
const pkcsReq = (envelope: Buffer, extra: Partial<Parameters<typeof signPkiMessage>[0]> = {}): Promise<Buffer> =>
  signPkiMessage({ envelope, messageType: 19, ...selfSigned, ...extra });

describe('parsePkiMessage: accepted requests', () => {
  it('PKCSReq: AES-128 + PKCS#1 v1.5 + SHA-256 returns the CSR and every attribute', async () => {
    const nonce = crypto.randomBytes(16);
    const der = await pkcsReq(opensslEnvelope(pki, pki.csrDer, ['ra.pem']), {
      transactionId: 'A1b2+/=',
      senderNonce: nonce,
    });
    const m = await parsePkiMessage(der, ra);
    assert.equal(m.messageType, 19);
    assert.equal(m.transactionId, 'A1b2+/=');
    assert.deepEqual(m.senderNonce, nonce);
    assert.deepEqual(m.csrDer, pki.csrDer);
    assert.deepEqual(m.signerCertDer, pki.selfDer);
    assert.equal(m.signerKey.type, 'public');
    assert.ok(m.signerKey.equals(new crypto.X509Certificate(pki.selfDer).publicKey));
    assert.deepEqual([m.digest, m.contentEncryption, m.keyTransport], ['sha256', 'aes-128-cbc', 'rsaes-pkcs1-v1_5']);
  });

  const variants: [string, string[], string[], 'SHA-1' | 'SHA-256' | 'SHA-512', string, string][] = [
    ['AES-192', ['ra.pem'], ['-aes-192-cbc'], 'SHA-256', 'aes-192-cbc', 'rsaes-pkcs1-v1_5'],
    ['AES-256 + SHA-512', ['ra.pem'], ['-aes256'], 'SHA-512', 'aes-256-cbc', 'rsaes-pkcs1-v1_5'],
    ['DES-EDE3 + SHA-1 (old clients)', ['ra.pem'], ['-des3'], 'SHA-1', 'des-ede3-cbc', 'rsaes-pkcs1-v1_5'],
    [
      'RSA-OAEP SHA-256',
      ['ra.pem'],
      ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-aes128'],
      'SHA-256',
      'aes-128-cbc',
      'rsaes-oaep',
    ],
    [
      'RSA-OAEP default SHA-1',
      ['ra.pem'],
      ['-keyopt', 'rsa_padding_mode:oaep', '-aes256'],
      'SHA-256',
      'aes-256-cbc',
      'rsaes-oaep',
    ],
    [
      'recipient by subjectKeyIdentifier',
      ['ra.pem'],
      ['-keyid', '-aes128'],
      'SHA-256',
      'aes-128-cbc',
      'rsaes-pkcs1-v1_5',
    ],
    [
      'encrypted to CA and RA (micromdm style)',
      ['ca.pem', 'ra.pem'],
      ['-aes128'],
      'SHA-256',
      'aes-128-cbc',
      'rsaes-pkcs1-v1_5',
    ],
  ];
  for (const [name, recips, args, hash, cipher, kt] of variants) {
    it(`PKCSReq: ${name}`, async () => {
      const m = await parsePkiMessage(await pkcsReq(opensslEnvelope(pki, pki.csrDer, recips, args), { hash }), ra);
      assert.deepEqual(m.csrDer, pki.csrDer);
      assert.deepEqual(
        [m.contentEncryption, m.keyTransport, m.digest],
        [cipher, kt, hash.replace('-', '').toLowerCase()],
      );
    });
  }

  it('single DES-CBC is refused by default (badAlg) and accepted with allowDesCbc', async (t) => {
    let env: Buffer;
    try {
      env = opensslEnvelope(pki, pki.csrDer, ['ra.pem'], ['-des', '-provider', 'legacy', '-provider', 'default']);
    } catch {
      t.skip('openssl legacy provider not available');
      return;
    }
    const der = await pkcsReq(env);
    const e = await rejection(parsePkiMessage(der, ra));
    assert.equal(e.code, 'ERR_SCEP_BAD_MESSAGE');
    assert.equal(e.detail?.failInfo, 'badAlg');
    assert.equal(e.detail?.transactionId, 'tx-0001');
    const m = await parsePkiMessage(der, ra, { allowDesCbc: true });
    assert.deepEqual(m.csrDer, pki.csrDer);
    assert.equal(m.contentEncryption, 'des-cbc');
  });

  it('RenewalReq signed with the current CA-issued certificate', async () => {
    const der = await signPkiMessage({
      envelope: opensslEnvelope(pki, pki.csrDer, ['ra.pem']),
      messageType: 17,
      signerCertDer: pki.deviceCertDer,
      signerKeyPem: pki.deviceKeyPem,
    });
    const m = await parsePkiMessage(der, ra);
    assert.equal(m.messageType, 17);
    assert.deepEqual(m.signerCertDer, pki.deviceCertDer);
    assert.deepEqual(m.csrDer, pki.csrDer);
  });

  it('CertPoll carries IssuerAndSubject; GetCert carries IssuerAndSerialNumber', async () => {
    const ca = new crypto.X509Certificate(pki.caDer);
    const issuer = asn1js.fromBER(pki.caDer).result as asn1js.Sequence;
    const tbs = (issuer.valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    const issuerDer = Buffer.from((tbs[3] as asn1js.Sequence).toBER());
    const subjectDer = Buffer.from(new asn1js.Sequence({ value: [] }).toBER());
    const ias = Buffer.concat([Buffer.from([0x30, issuerDer.length + subjectDer.length]), issuerDer, subjectDer]);
    const poll = await parsePkiMessage(
      await signPkiMessage({ envelope: opensslEnvelope(pki, ias, ['ra.pem']), messageType: 20, ...selfSigned }),
      ra,
    );
    assert.equal(poll.messageType, 20);
    assert.deepEqual(poll.issuerAndSubject, { issuerDer, subjectDer });
    assert.equal(poll.csrDer, undefined);

    const serial = Buffer.from(new asn1js.Integer({ valueHex: Buffer.from(ca.serialNumber, 'hex') }).toBER());
    const iasn = Buffer.concat([Buffer.from([0x30, issuerDer.length + serial.length]), issuerDer, serial]);
    const get = await parsePkiMessage(
      await signPkiMessage({ envelope: opensslEnvelope(pki, iasn, ['ra.pem']), messageType: 21, ...selfSigned }),
      ra,
    );
    assert.equal(get.issuerAndSerial?.serialHex, ca.serialNumber.toLowerCase().replace(/^0+/, ''));
  });
});
