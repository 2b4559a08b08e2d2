/**
 * /cacerts (RFC 7030 §4.1), /csrattrs (§4.5), /serverkeygen (§4.4) through the pure handlers,
 * and the error mapping (errors.ts): 503 + Retry-After on a busy store, 500 hides the cause.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import * as der from '../../../../ca/asn1/index.ts';
import { OID } from '../../../../ca/asn1/index.ts';
import { createEstHandlers, EST_STATUS, estErrorResponse, parseMultipart } from '../../../../enrollment/est/index.ts';
import { AppError } from '../../../../platform/errors.ts';
import { basic, boundCsr, certsOf, estReq, handlerWorld, text } from './helpers.ts';
import { enrollmentConfig } from './harness.ts';
import { makeCsr } from '../../../helpers/pki.ts';

test('/cacerts: issuing CA then root, base64 certs-only, no authentication', async () => {
  const w = await handlerWorld();
  try {
    const r = await w.h.cacerts(estReq(''));
    const certs = certsOf(r);
    assert.deepEqual(
      certs.map((c) => Buffer.from(c.raw)),
      [w.pki.issuer.record.certDer, w.pki.rootCertDer],
    );
    assert.ok(certs[0]!.verify(certs[1]!.publicKey));
    assert.equal((await w.h.cacerts(estReq(''))).body, r.body, 'cached');
  } finally {
    await w.cleanup();
  }
});

test('/csrattrs: challengePassword + ecdsa-with-SHA256 + id-ecPublicKey/secp256r1; 204 when nothing is asked', async () => {
  const w = await handlerWorld();
  try {
    const r = await w.h.csrattrs(estReq(''));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/csrattrs');
    const buf = Buffer.from(String(r.body), 'base64');
    const items = der.children(buf, der.parseDerExact(buf), 0x30);
    assert.deepEqual(der.readOid(buf, items[0]!), OID.challengePassword);
    assert.deepEqual(der.readOid(buf, items[1]!), OID.ecdsaWithSHA256);
    const [type, values] = der.children(buf, items[2]!, 0x30);
    assert.equal(der.readOid(buf, type!), OID.ecPublicKey);
    assert.equal(der.readOid(buf, der.children(buf, values!, 0x31)[0]!), OID.secp256r1);
    const cfg = enrollmentConfig({ est: { csrAttrs: 'none', allowUnboundBasic: true } });
    const none = createEstHandlers({ onboarding: w.onboarding, ca: w.pki.ca, config: { ...cfg.est, labels: {} } });
    const e = await none.csrattrs(estReq(''));
    assert.equal(e.status, 204);
    assert.equal(e.body, '');
  } finally {
    await w.cleanup();
  }
});

test('/serverkeygen: multipart with the PKCS#8 key and the certificate for that key', async () => {
  const w = await handlerWorld({ est: { csrAttrs: 'P-384' } });
  try {
    await w.addDevice('dev-1');
    const tok = await w.token('dev-1');
    const r = await w.h.serverkeygen(
      estReq(boundCsr(w.binding).csrDer, { basic: basic(tok), channelBinding: w.binding }),
    );
    assert.equal(r.status, 200, text(r));
    assert.match(r.headers['content-type']!, /^multipart\/mixed; boundary=/);
    const parts = parseMultipart(r.headers['content-type']!, String(r.body));
    assert.deepEqual(
      parts.map((p) => p.headers['content-type']),
      ['application/pkcs8', 'application/pkcs7-mime; smime-type=certs-only'],
    );
    const key = createPrivateKey({ key: Buffer.from(parts[0]!.body, 'base64'), format: 'der', type: 'pkcs8' });
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    const cert = certsOf({ status: 200, headers: {}, body: parts[1]!.body })[0]!;
    assert.ok(cert.checkPrivateKey(key));
    assert.match(cert.subject, /CN=dev-1/);
    assert.ok(!createPublicKey(key).equals(createPublicKey(makeCsr().key)));
  } finally {
    await w.cleanup();
  }
});

test('/serverkeygen refusals: encrypted key asked 400, no credential 401, disabled 404', async () => {
  const w = await handlerWorld();
  try {
    await w.addDevice('dev-1');
    const tok = await w.token('dev-1');
    // a DecryptKeyIdentifier attribute (RFC 7030 §4.4.1.1) spliced into the request
    const { csrDer } = boundCsr(w.binding);
    const withAttr = spliceAttribute(
      csrDer,
      der.seq(der.oid('1.2.840.113549.1.9.16.2.37'), der.set(der.octetString(Buffer.from('kid')))),
    );
    const enc = await w.h.serverkeygen(estReq(withAttr, { basic: basic(tok), channelBinding: w.binding }));
    assert.equal(enc.status, 400, text(enc));
    assert.match(text(enc), /encrypted server-generated keys/);
    assert.equal((await w.h.serverkeygen(estReq(makeCsr().csrDer))).status, 401);
    const cfg = enrollmentConfig({ est: { serverKeygen: false } });
    const off = createEstHandlers({ onboarding: w.onboarding, ca: w.pki.ca, config: { ...cfg.est, labels: {} } });
    assert.equal(
      (await off.serverkeygen(estReq(csrDer, { basic: basic(tok), channelBinding: w.binding }))).status,
      404,
    );
  } finally {
    await w.cleanup();
  }
});

/** Adds an attribute to a CSR's [0] attributes (the signature no longer matters: §4.4.1). */
function spliceAttribute(csr: Buffer, attr: Buffer): Buffer {
  const top = der.parseDerExact(csr);
  const [info, alg, sig] = der.children(csr, top, 0x30);
  const [ver, name, spki, attrs] = der.children(csr, info!, 0x30);
  const kids = attrs ? der.children(csr, attrs).map((t) => der.rawOf(csr, t)) : [];
  const newInfo = der.seq(
    der.rawOf(csr, ver!),
    der.rawOf(csr, name!),
    der.rawOf(csr, spki!),
    der.tlv(0xa0, ...kids, attr),
  );
  return der.seq(newInfo, der.rawOf(csr, alg!), der.rawOf(csr, sig!));
}

test('store busy -> 503 + Retry-After; internal errors -> 500 without detail', async () => {
  const cfg = enrollmentConfig({ est: { allowUnboundBasic: true } });
  const ca = { caCertificates: () => [], issuers: () => [] };
  const busy = createEstHandlers({
    onboarding: {
      enroll: async () => Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })),
    },
    ca,
    config: { ...cfg.est, labels: {} },
  });
  const req = estReq(makeCsr().csrDer, { basic: basic('ab'.repeat(24)), channelBinding: Buffer.alloc(32) });
  const r = await busy.simpleenroll(req);
  assert.equal(r.status, 503);
  assert.equal(r.headers['retry-after'], '1');
  const broken = createEstHandlers({
    onboarding: { enroll: async () => Promise.reject(new TypeError('secret detail')) },
    ca,
    config: { ...cfg.est, labels: {} },
  });
  const b = await broken.simpleenroll(req);
  assert.equal(b.status, 500);
  assert.equal(text(b), 'internal error\n');
});

test('error table: every mapped code answers its status with the right headers', () => {
  for (const [code, status] of Object.entries(EST_STATUS)) {
    const { response } = estErrorResponse(new AppError(code as AppError['code'], 'x', { retryAfter: 7 }));
    assert.equal(response.status, status, code);
    assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal('www-authenticate' in response.headers, status === 401, code);
    assert.equal(response.headers['retry-after'], status === 503 || status === 202 ? '7' : undefined, code);
  }
  assert.equal(estErrorResponse(new AppError('ERR_ENROLL_TOKEN_USED', 'used')).response.status, 401);
  assert.equal(estErrorResponse(new AppError('ERR_CERT_REVOKED', 'r')).response.status, 403);
  assert.equal(estErrorResponse(new AppError('ERR_REENROLL_SUBJECT_CHANGED', 's')).response.status, 400);
});
