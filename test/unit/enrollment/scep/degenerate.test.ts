/**
 * Degenerate certs-only PKCS#7 (GetCACert, CertRep payload) and the GetCACaps text.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  buildCertRep,
  buildDegenerate,
  getCaCapsText,
  parseDegenerate,
  SCEP_CONTENT_TYPES,
} from '../../../../enrollment/scep/index.ts';
import { rejection } from './client.ts';
import { makePki, openssl } from './pki.ts';

const pki = makePki();

describe('degenerate PKCS#7', () => {
  it('openssl reads RA then CA, in our order', () => {
    const der = buildDegenerate([pki.raDer, pki.caDer]);
    const f = pki.file('getcacert.p7');
    fs.writeFileSync(f, der);
    const out = openssl(pki.dir, 'pkcs7', '-inform', 'DER', '-in', f, '-print_certs', '-noout').toString();
    assert.deepEqual(
      [...out.matchAll(/^subject=(.*)$/gm)].map((m) => m[1]),
      ['CN = Gatehouse-Test-RA', 'CN = Gatehouse-Test-CA'],
    );
    // DER re-encoding by openssl is byte-identical: we emit canonical DER
    assert.deepEqual(openssl(pki.dir, 'pkcs7', '-inform', 'DER', '-in', f, '-outform', 'DER'), der);
  });

  it('round-trips, and parses what `openssl crl2pkcs7` produces', () => {
    assert.deepEqual(parseDegenerate(buildDegenerate([pki.caDer, pki.raDer, pki.otherDer])), [
      pki.caDer,
      pki.raDer,
      pki.otherDer,
    ]);
    const f = pki.file('c2p.p7');
    openssl(
      pki.dir,
      'crl2pkcs7',
      '-nocrl',
      '-certfile',
      pki.file('ra.pem'),
      '-certfile',
      pki.file('ca.pem'),
      '-outform',
      'DER',
      '-out',
      f,
    );
    assert.deepEqual(parseDegenerate(fs.readFileSync(f)), [pki.raDer, pki.caDer]);
  });

  it('refuses signed messages, garbage, truncation and empty input', async () => {
    const signed = await buildCertRep({
      status: 'PENDING',
      transactionId: 't',
      recipientNonce: crypto.randomBytes(16),
      ra: { certDer: pki.raDer, key: pki.raKey },
    });
    const good = buildDegenerate([pki.raDer]);
    for (const bad of [
      signed,
      Buffer.alloc(0),
      crypto.randomBytes(64),
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from([0])]),
    ]) {
      assert.throws(
        () => parseDegenerate(bad),
        (e: { code?: string }) => e.code === 'ERR_SCEP_BAD_MESSAGE',
      );
    }
  });

  it('refuses to build from nothing or from non-certificates', async () => {
    assert.throws(
      () => buildDegenerate([]),
      (e: { code?: string }) => e.code === 'ERR_BAD_INPUT',
    );
    assert.throws(
      () => buildDegenerate([Buffer.from('not a cert')]),
      (e: { code?: string }) => e.code === 'ERR_BAD_INPUT',
    );
    assert.equal(
      (await rejection(Promise.resolve().then(() => buildDegenerate([Buffer.from([0x30, 0x00])])))).code,
      'ERR_BAD_INPUT',
    );
  });
});

describe('GetCACaps', () => {
  it('lists exactly the supported capabilities, newline separated', () => {
    const text = getCaCapsText();
    assert.deepEqual(text.trimEnd().split('\n'), [
      'POSTPKIOperation',
      'SHA-256',
      'SHA-512',
      'AES',
      'SCEPStandard',
      'Renewal',
    ]);
    assert.ok(!/DES|MD5|SHA-1\b/.test(text));
    assert.equal(SCEP_CONTENT_TYPES.caRaCert, 'application/x-x509-ca-ra-cert');
  });
});
