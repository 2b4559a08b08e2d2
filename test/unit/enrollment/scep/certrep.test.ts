/**
 * buildCertRep checked by independent parsers: `openssl cms -verify/-decrypt`, `openssl pkcs7`
 * and pkijs for the signed attributes (RFC 8894 §3.3.2).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import { buildCertRep, parsePkiMessage } from '../../../../enrollment/scep/index.ts';
import { OIDS, readSignedAttrs, rejection } from './client.ts';
import { makePki, openssl } from './pki.ts';

const pki = makePki();
const ra = { certDer: pki.raDer, key: pki.raKey };
fs.writeFileSync(pki.file('self.pem'), new crypto.X509Certificate(pki.selfDer).toString());

function write(name: string, der: Buffer): string {
  const f = pki.file(`${name}-${crypto.randomUUID()}.der`);
  fs.writeFileSync(f, der);
  return f;
}

const str = (v: asn1js.AsnType | undefined): string => (v as asn1js.PrintableString).valueBlock.value;
const oct = (v: asn1js.AsnType | undefined): Buffer => Buffer.from((v as asn1js.OctetString).valueBlock.valueHexView);

/** Verify with openssl against the test CA; returns the signed content (the envelope). */
function opensslVerify(der: Buffer, detachedEmpty = false): Buffer {
  const out = pki.file(`content-${crypto.randomUUID()}.der`);
  const extra = detachedEmpty ? ['-content', '/dev/null'] : [];
  openssl(
    pki.dir,
    'cms',
    '-verify',
    '-inform',
    'DER',
    '-in',
    write('rep', der),
    '-CAfile',
    pki.file('ca.pem'),
    '-binary',
    '-out',
    out,
    ...extra,
  );
  return fs.readFileSync(out);
}

describe('buildCertRep', () => {
  const nonce = crypto.randomBytes(16);

  for (const contentEncryption of [undefined, 'aes-256-cbc', 'des-ede3-cbc'] as const) {
    it(`SUCCESS (${contentEncryption ?? 'default aes-128-cbc'}): openssl verifies, decrypts, and finds issued cert then chain`, async () => {
      const der = await buildCertRep({
        status: 'SUCCESS',
        transactionId: 'txBQpaicLiw8lpF/Kvq/gzCwZ8Y=',
        recipientNonce: nonce,
        issuedCertDer: pki.deviceCertDer,
        caChainDer: [pki.caDer],
        recipientCertDer: pki.selfDer,
        ra,
        digest: 'sha256',
        contentEncryption,
      });
      const envelope = opensslVerify(der);
      const printed = openssl(
        pki.dir,
        'cms',
        '-cmsout',
        '-print',
        '-inform',
        'DER',
        '-in',
        write('env', envelope),
      ).toString();
      assert.match(printed, new RegExp(contentEncryption ?? 'aes-128-cbc', 'i'));
      const degenerate = pki.file(`deg-${crypto.randomUUID()}.der`);
      openssl(
        pki.dir,
        'cms',
        '-decrypt',
        '-inform',
        'DER',
        '-in',
        write('env', envelope),
        '-recip',
        pki.file('self.pem'),
        '-inkey',
        pki.file('dev.key'),
        '-binary',
        '-out',
        degenerate,
      );
      const certs = openssl(pki.dir, 'pkcs7', '-inform', 'DER', '-in', degenerate, '-print_certs', '-noout').toString();
      const subjects = [...certs.matchAll(/^subject=(.*)$/gm)].map((m) => m[1]);
      assert.deepEqual(subjects, ['CN = device-0001', 'CN = Gatehouse-Test-CA']);

      const { attrs, sd } = readSignedAttrs(der);
      assert.equal(str(attrs.get(OIDS.messageType)), '3');
      assert.equal(str(attrs.get(OIDS.pkiStatus)), '0');
      assert.equal(str(attrs.get(OIDS.transactionID)), 'txBQpaicLiw8lpF/Kvq/gzCwZ8Y=');
      assert.deepEqual(oct(attrs.get(OIDS.recipientNonce)), nonce);
      assert.equal(oct(attrs.get(OIDS.senderNonce)).length, 16);
      assert.notDeepEqual(oct(attrs.get(OIDS.senderNonce)), nonce);
      assert.equal(attrs.has(OIDS.failInfo), false);
      assert.equal(sd.signerInfos[0]?.digestAlgorithm.algorithmId, '2.16.840.1.101.3.4.2.1');
    });
  }

  it('FAILURE: no envelope (empty content), failInfo and failInfoText, digest over empty content', async () => {
    const der = await buildCertRep({
      status: 'FAILURE',
      failInfo: 'badMessageCheck',
      failInfoText: 'signature check failed',
      transactionId: 'tx-1',
      recipientNonce: nonce,
      ra,
      digest: 'sha512',
    });
    assert.equal(opensslVerify(der).length, 0); // empty content encapsulated, not detached
    assert.equal(opensslVerify(der, true).length, 0);
    const { attrs, sd } = readSignedAttrs(der);
    assert.equal(sd.encapContentInfo.eContent?.getValue().byteLength, 0);
    assert.equal(str(attrs.get(OIDS.pkiStatus)), '2');
    assert.equal(str(attrs.get(OIDS.failInfo)), '1');
    assert.equal((attrs.get('1.3.6.1.5.5.7.24.1') as asn1js.Utf8String).valueBlock.value, 'signature check failed');
    assert.deepEqual(oct(attrs.get(OIDS.messageDigest)), crypto.createHash('sha512').digest());
  });

  it('PENDING: status 3, no failInfo, no content; two CertReps get different senderNonces', async () => {
    const a = await buildCertRep({ status: 'PENDING', transactionId: 'tx-2', recipientNonce: nonce, ra });
    const b = await buildCertRep({ status: 'PENDING', transactionId: 'tx-2', recipientNonce: nonce, ra });
    opensslVerify(a);
    const [ra1, ra2] = [readSignedAttrs(a).attrs, readSignedAttrs(b).attrs];
    assert.equal(str(ra1.get(OIDS.pkiStatus)), '3');
    assert.equal(ra1.has(OIDS.failInfo), false);
    assert.notDeepEqual(oct(ra1.get(OIDS.senderNonce)), oct(ra2.get(OIDS.senderNonce)));
  });

  it('our own parser refuses a CertRep as a request (no reflection)', async () => {
    const der = await buildCertRep({ status: 'PENDING', transactionId: 'tx-3', recipientNonce: nonce, ra });
    assert.equal((await rejection(parsePkiMessage(der, ra))).code, 'ERR_SCEP_BAD_MESSAGE');
  });

  const invalid: [string, Partial<Parameters<typeof buildCertRep>[0]>][] = [
    ['bad transactionId', { transactionId: 'a\nb' }],
    ['short nonce', { recipientNonce: Buffer.alloc(8) }],
    ['SUCCESS without a certificate', { status: 'SUCCESS' }],
    [
      'failInfo on SUCCESS',
      { status: 'SUCCESS', failInfo: 'badAlg', issuedCertDer: pki.deviceCertDer, recipientCertDer: pki.selfDer },
    ],
    [
      'recipient is not a certificate',
      { status: 'SUCCESS', issuedCertDer: pki.deviceCertDer, recipientCertDer: Buffer.from('x') },
    ],
  ];
  for (const [name, over] of invalid) {
    it(`rejects ${name} with ERR_BAD_INPUT`, async () => {
      const e = await rejection(
        buildCertRep({ status: 'FAILURE', transactionId: 'tx', recipientNonce: nonce, ra, ...over }),
      );
      assert.equal(e.code, 'ERR_BAD_INPUT');
    });
  }
});
