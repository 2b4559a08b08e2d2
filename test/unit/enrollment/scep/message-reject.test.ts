/**
 * parsePkiMessage rejections: tampering (ERR_SCEP_BAD_SIGNATURE), foreign envelopes
 * (ERR_SCEP_BAD_RECIPIENT), malformed input and attributes (ERR_SCEP_BAD_MESSAGE), and the
 * no-oracle rule: every decryption failure looks the same (RFC 8894 §3.2, RFC 3218 §2.3).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import { buildCertRep, certRepFailureFor, parsePkiMessage } from '../../../../enrollment/scep/index.ts';
import { flip, manualEnvelope, OIDS, rejection, signPkiMessage } from './client.ts';
import { makePki, opensslEnvelope } from './pki.ts';

const pki = makePki();
const ra = { certDer: pki.raDer, key: pki.raKey };
const selfSigned = { signerCertDer: pki.selfDer, signerKeyPem: pki.deviceKeyPem };
const pkcsReq = (envelope: Buffer, extra: Partial<Parameters<typeof signPkiMessage>[0]> = {}): Promise<Buffer> =>
  signPkiMessage({ envelope, messageType: 19, ...selfSigned, ...extra });

describe('parsePkiMessage: rejections', () => {
  const good = async (): Promise<Buffer> => pkcsReq(opensslEnvelope(pki, pki.csrDer, ['ra.pem']));

  it('tampered signature → ERR_SCEP_BAD_SIGNATURE (with transactionId for a CertRep FAILURE)', async () => {
    const der = await good();
    flip(der, der.length - 5); // inside the SignerInfo signature (last field)
    const e = await rejection(parsePkiMessage(der, ra));
    assert.equal(e.code, 'ERR_SCEP_BAD_SIGNATURE');
    assert.equal(e.detail?.failInfo, 'badMessageCheck');
    assert.equal(e.detail?.transactionId, 'tx-0001');
    assert.match(String(e.detail?.senderNonce), /^[0-9a-f]{32}$/);
    const failure = certRepFailureFor(e, ra);
    assert.equal(failure?.status, 'FAILURE');
    assert.equal(failure?.failInfo, 'badMessageCheck');
    assert.equal(failure?.recipientNonce.toString('hex'), e.detail?.senderNonce);
    assert.ok((await buildCertRep(failure!)).length > 0);
  });

  it('tampered envelope byte (messageDigest mismatch) → ERR_SCEP_BAD_SIGNATURE', async () => {
    const env = opensslEnvelope(pki, pki.csrDer, ['ra.pem']);
    const der = await pkcsReq(env);
    const at = der.indexOf(env.subarray(env.length - 40, env.length - 20));
    assert.ok(at > 0);
    flip(der, at, 0x80);
    assert.equal((await rejection(parsePkiMessage(der, ra))).code, 'ERR_SCEP_BAD_SIGNATURE');
  });

  it('envelope for another certificate → ERR_SCEP_BAD_RECIPIENT', async () => {
    const der = await pkcsReq(opensslEnvelope(pki, pki.csrDer, ['other.pem', 'ca.pem']));
    const e = await rejection(parsePkiMessage(der, ra));
    assert.equal(e.code, 'ERR_SCEP_BAD_RECIPIENT');
    assert.equal(e.detail?.transactionId, 'tx-0001');
    // ...and the right RA opens the same message
    assert.deepEqual((await parsePkiMessage(der, { certDer: pki.otherDer, key: pki.otherKey })).csrDer, pki.csrDer);
  });

  it('garbage, empty, truncated, trailing bytes and oversize → ERR_SCEP_BAD_MESSAGE', async () => {
    const der = await good();
    const inputs = [
      Buffer.alloc(0),
      crypto.randomBytes(600),
      Buffer.from('MIIBogYJKoZIhvcNAQcCoIIBkzCCAY8CAQE=', 'utf8'),
      Buffer.concat([der, Buffer.from([0])]),
      Buffer.alloc(256 * 1024 + 1, 0x30),
      ...[1, 2, 10, 100, der.length >> 1, der.length - 300, der.length - 1].map((n) => der.subarray(0, n)),
    ];
    for (const input of inputs) {
      const e = await rejection(parsePkiMessage(input, ra));
      assert.equal(e.code, 'ERR_SCEP_BAD_MESSAGE', `len ${input.length}: ${e.message}`);
      assert.equal(certRepFailureFor(e, ra), undefined); // no transaction to answer: HTTP 400
    }
  });

  it('a message larger than maxBytes is refused before parsing', async () => {
    const e = await rejection(parsePkiMessage(await good(), ra, { maxBytes: 512 }));
    assert.equal(e.code, 'ERR_SCEP_BAD_MESSAGE');
  });

  const ps = (v: string): asn1js.AsnType[] => [new asn1js.PrintableString({ value: v })];
  const bad: [string, Record<string, asn1js.AsnType[] | null>][] = [
    ['transactionID too long', { [OIDS.transactionID]: ps('x'.repeat(129)) }],
    ['transactionID empty', { [OIDS.transactionID]: ps('') }],
    ['transactionID bad charset', { [OIDS.transactionID]: [new asn1js.Utf8String({ value: 'tx<script>' })] }],
    ['transactionID non-ASCII', { [OIDS.transactionID]: [new asn1js.Utf8String({ value: 'tx-é' })] }],
    ['transactionID missing', { [OIDS.transactionID]: null }],
    ['messageType CertRep (reflection)', { [OIDS.messageType]: ps('3') }],
    ['messageType UpdateReq (obsolete)', { [OIDS.messageType]: ps('18') }],
    ['messageType not a number', { [OIDS.messageType]: ps('19a') }],
    ['senderNonce 8 octets', { [OIDS.senderNonce]: [new asn1js.OctetString({ valueHex: Buffer.alloc(8) })] }],
    ['senderNonce missing', { [OIDS.senderNonce]: null }],
    [
      'senderNonce two values',
      {
        [OIDS.senderNonce]: [
          new asn1js.OctetString({ valueHex: Buffer.alloc(16) }),
          new asn1js.OctetString({ valueHex: Buffer.alloc(16, 1) }),
        ],
      },
    ],
    ['contentType missing', { [OIDS.contentType]: null }],
  ];
  for (const [name, attrs] of bad) {
    it(`attribute: ${name} → ERR_SCEP_BAD_MESSAGE`, async () => {
      const der = await pkcsReq(opensslEnvelope(pki, pki.csrDer, ['ra.pem']), { attrs });
      assert.equal((await rejection(parsePkiMessage(der, ra))).code, 'ERR_SCEP_BAD_MESSAGE');
    });
  }

  it('no oracle: bad RSA padding, wrong key length, wrong key, bad CBC padding, non-CSR content fail identically', async () => {
    const raPub = new crypto.X509Certificate(pki.raDer).publicKey;
    const k = 256;
    const pkcs1 = (m: Buffer): Buffer =>
      crypto.publicEncrypt({ key: raPub, padding: crypto.constants.RSA_PKCS1_PADDING }, m);
    const rawRsa = (em: Buffer): Buffer =>
      crypto.publicEncrypt({ key: raPub, padding: crypto.constants.RSA_NO_PADDING }, em);
    const cek = crypto.randomBytes(16);
    const iv = crypto.randomBytes(16);
    const enc = (key: Buffer, plain: Buffer): Buffer => {
      const c = crypto.createCipheriv('aes-128-cbc', key, iv);
      return Buffer.concat([c.update(plain), c.final()]);
    };
    const goodCt = enc(cek, pki.csrDer);
    const badPadEm = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - 19, 0xff), Buffer.from([0]), cek]); // block type 1
    const badCbc = Buffer.from(goodCt);
    flip(badCbc, badCbc.length - 17); // alters the last block's padding
    const cases: [string, Buffer, Buffer][] = [
      ['PKCS#1 block type 1', rawRsa(badPadEm), goodCt],
      ['24-byte key for AES-128', pkcs1(crypto.randomBytes(24)), goodCt],
      ['random RSA input', rawRsa(Buffer.concat([Buffer.from([0]), crypto.randomBytes(k - 1)])), goodCt],
      ['valid key, other content key', pkcs1(crypto.randomBytes(16)), goodCt],
      ['valid key, bad CBC padding', pkcs1(cek), badCbc],
      ['valid key, content not a CSR', pkcs1(cek), enc(cek, Buffer.from('0123456789abcdef0123'))],
    ];
    const seen = new Set<string>();
    for (const [name, encryptedKey, ciphertext] of cases) {
      const der = await pkcsReq(manualEnvelope({ recipientDer: pki.raDer, encryptedKey, iv, ciphertext }), {
        transactionId: 'same',
      });
      const e = await rejection(parsePkiMessage(der, ra));
      assert.equal(e.code, 'ERR_SCEP_BAD_MESSAGE', name);
      seen.add(JSON.stringify([e.code, e.message, { ...e.detail, senderNonce: '' }]));
    }
    assert.equal(seen.size, 1, [...seen].join('\n'));
    // control: the same builder with the right key and content succeeds
    const ok = await pkcsReq(
      manualEnvelope({ recipientDer: pki.raDer, encryptedKey: pkcs1(cek), iv, ciphertext: goodCt }),
    );
    assert.deepEqual((await parsePkiMessage(ok, ra)).csrDer, pki.csrDer);
  });

  it('envelope content that is not a CSR → ERR_SCEP_BAD_MESSAGE', async () => {
    const der = await pkcsReq(opensslEnvelope(pki, Buffer.from('hello, not a CSR'), ['ra.pem']));
    assert.equal((await rejection(parsePkiMessage(der, ra))).code, 'ERR_SCEP_BAD_MESSAGE');
  });

  it('misconfigured RA key is a config error, not a message error', async () => {
    const e = await rejection(
      parsePkiMessage(await good(), { certDer: pki.raDer, key: crypto.createPublicKey(pki.raKey) }),
    );
    assert.equal(e.code, 'ERR_CONFIG');
  });
});
