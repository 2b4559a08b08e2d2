/**
 * cert-info.ts verifiesOwnSignature(): the PKCSReq self-signed check (RFC 8894 §2.3) without a
 * full X509Certificate parse, compared with what X509Certificate.verify says.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { certInfo, verifiesOwnSignature } from '../../../../enrollment/scep/cert-info.ts';
import { rsaKey, selfSigned } from './requester.ts';

const x509Says = (der: Buffer): boolean => {
  const x = new X509Certificate(der);
  return x.verify(x.publicKey);
};

test('a self-signed RSA certificate verifies, as X509Certificate.verify says', () => {
  const der = selfSigned(rsaKey()).certDer;
  assert.equal(verifiesOwnSignature(certInfo(der)), true);
  assert.equal(x509Says(der), true);
});

test('a certificate whose TBS or signature was altered does not verify', () => {
  const der = Buffer.from(selfSigned(rsaKey(), 'tamper-me').certDer);
  const at = der.indexOf(Buffer.from('tamper-me'));
  der[at] = 0x54; // 'T'
  assert.equal(verifiesOwnSignature(certInfo(der)), false);
  const sig = Buffer.from(selfSigned(rsaKey()).certDer);
  sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 0x01;
  assert.equal(verifiesOwnSignature(certInfo(sig)), false);
});

test('a certificate signed by another key than its own does not verify', () => {
  const a = selfSigned(rsaKey(), 'same-name');
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const b = selfSigned(other, 'same-name');
  // a's TBS (a's key) with b's signature
  const ia = certInfo(a.certDer);
  const ib = certInfo(b.certDer);
  assert.equal(verifiesOwnSignature({ ...ia, publicKey: ib.publicKey }), false);
});

test('non-RSA signatures go through X509Certificate and agree with it', () => {
  const der = selfSigned(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey).certDer;
  assert.equal(verifiesOwnSignature(certInfo(der)), x509Says(der));
  assert.equal(verifiesOwnSignature(certInfo(der)), true);
});
