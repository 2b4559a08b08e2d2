/**
 * /simplereenroll through the pure handlers (RFC 7030 §4.2.2): only the current, valid,
 * unrevoked certificate of our CA authenticates, and the subject must not change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeName } from '../../../../ca/asn1/index.ts';
import { buildCsr, parseCertificate } from '../../../../ca/index.ts';
import { basic, boundCsr, certsOf, estReq, handlerWorld, text, type HandlerWorld } from './helpers.ts';
import { makeCsr } from '../../../helpers/pki.ts';

/** Enrolls dev-1 with a token and returns its certificate DER and key. */
async function enrolled(w: HandlerWorld, id = 'dev-1') {
  await w.addDevice(id);
  const tok = await w.token(id);
  const c = boundCsr(w.binding);
  const r = await w.h.simpleenroll(estReq(c.csrDer, { basic: basic(tok), channelBinding: w.binding }));
  const der = Buffer.from(certsOf(r)[0]!.raw);
  return { der, key: c.key, subjectDer: parseCertificate(der).tbs.subjectDer };
}

/** A CSR for a new key with exactly `subjectDer`. */
function csrWithSubject(subjectDer: Buffer): Buffer {
  const { signer } = makeCsr();
  return buildCsr({ signer, subjectDer });
}

test('renewal with the current certificate: same subject or empty subject -> new certificate', async () => {
  const w = await handlerWorld();
  try {
    const cur = await enrolled(w);
    const r = await w.h.simplereenroll(
      estReq(csrWithSubject(cur.subjectDer), { clientChain: [cur.der], tlsAuthorized: true }),
    );
    const next = certsOf(r);
    assert.equal(next.length, 1);
    assert.deepEqual(parseCertificate(Buffer.from(next[0]!.raw)).tbs.subjectDer, cur.subjectDer);
    const empty = await w.h.simplereenroll(
      estReq(csrWithSubject(encodeName({})), { clientChain: [cur.der], tlsAuthorized: true }),
    );
    assert.equal(empty.status, 200, text(empty));
  } finally {
    await w.cleanup();
  }
});

test('renewal refusals: no/unverified cert 401, Basic only 401, subject change 400, revoked/expired/foreign 403, device state 403', async () => {
  const w = await handlerWorld();
  try {
    const cur = await enrolled(w);
    const same = () => csrWithSubject(cur.subjectDer);
    const expect = async (
      name: string,
      status: number,
      code: RegExp,
      auth: Parameters<typeof estReq>[1],
      csr = same(),
    ) => {
      const r = await w.h.simplereenroll(estReq(csr, auth));
      assert.equal(r.status, status, `${name}: ${text(r)}`);
      assert.match(text(r), code, name);
      if (status === 401) assert.equal(r.headers['www-authenticate'], 'Basic realm="gatehouse-est"');
    };
    await expect('no certificate', 401, /ERR_UNAUTHENTICATED/, {});
    await expect('certificate TLS did not verify', 401, /ERR_UNAUTHENTICATED/, {
      clientChain: [cur.der],
      tlsAuthorized: false,
    });
    await w.addDevice('dev-2');
    const tok = await w.token('dev-2');
    await expect('token instead of certificate', 401, /ERR_UNAUTHENTICATED/, {
      basic: basic(tok),
      channelBinding: w.binding,
    });
    await expect(
      'subject change',
      400,
      /ERR_REENROLL_SUBJECT_CHANGED/,
      { clientChain: [cur.der], tlsAuthorized: true },
      makeCsr('P-256', { subject: { commonName: 'dev-1', organization: 'Evil' } }).csrDer,
    );
    const foreign = await w.idevid('ACME-1');
    await expect('foreign certificate', 403, /ERR_CERT_FOREIGN/, { clientChain: foreign.chain, tlsAuthorized: true });

    await w.inventory.quarantine('dev-1', 'soc', 'beaconing');
    await expect('quarantined device', 403, /ERR_DEVICE_STATE/, { clientChain: [cur.der], tlsAuthorized: true });
    await w.inventory.approve('dev-1', 'soc');

    w.clock.now = Date.now() + 400 * 86_400_000;
    await expect('expired certificate', 403, /ERR_CERT_EXPIRED/, { clientChain: [cur.der], tlsAuthorized: true });
    w.clock.now = 0;

    const serial = parseCertificate(cur.der).tbs.serialContent.toString('hex').replace(/^0+/, '');
    await w.pki.ca.revoke(serial, 'keyCompromise', { actor: 'test' });
    await expect('revoked certificate', 403, /ERR_CERT_REVOKED/, { clientChain: [cur.der], tlsAuthorized: true });
  } finally {
    await w.cleanup();
  }
});

test('a certificate of ours presented to /simpleenroll also renews (RFC 7030 §3.3.2)', async () => {
  const w = await handlerWorld();
  try {
    const cur = await enrolled(w);
    const r = await w.h.simpleenroll(
      estReq(csrWithSubject(cur.subjectDer), { clientChain: [cur.der], tlsAuthorized: true }),
    );
    assert.equal(r.status, 200, text(r));
  } finally {
    await w.cleanup();
  }
});
