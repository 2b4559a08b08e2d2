/**
 * /simpleenroll through the pure handlers (RFC 7030 §4.2.1, §4.2.3, §3.5): token over Basic bound
 * to the channel, replays, content type and base64 errors, labels, pending approval, IDevID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { basic, b64Lines, boundCsr, certsOf, estReq, handlerWorld, text } from './helpers.ts';

import { makeCsr } from '../../../helpers/pki.ts';
import { createEstHandlers } from '../../../../enrollment/est/index.ts';

test('token + channel binding: 200 with ONLY the new certificate, names from the inventory', async () => {
  const w = await handlerWorld();
  try {
    await w.addDevice('dev-1');
    const tok = await w.token('dev-1');
    const { csrDer } = boundCsr(w.binding, { subject: { commonName: 'i-am-admin' } });
    // line-broken base64 (CRLF every 64) is accepted
    const r = await w.h.simpleenroll(
      estReq(b64Lines(csrDer), { basic: basic(tok, 'dev-1'), channelBinding: w.binding }),
    );
    assert.equal(r.status, 200, text(r));
    assert.equal(r.headers['content-type'], 'application/pkcs7-mime; smime-type=certs-only');
    assert.equal(r.headers['content-transfer-encoding'], 'base64');
    const certs = certsOf(r);
    assert.equal(certs.length, 1);
    assert.match(certs[0]!.subject, /CN=dev-1/);
    assert.doesNotMatch(certs[0]!.subject, /i-am-admin/);
    assert.ok(certs[0]!.checkIssued(new X509Certificate(w.pki.issuer.record.certDer)));
    assert.equal((await w.inventory.get('dev-1'))?.state, 'enrolled');
  } finally {
    await w.cleanup();
  }
});

test('replayed token: 401 + WWW-Authenticate and an audit entry enroll.token.replay', async () => {
  const w = await handlerWorld();
  try {
    await w.addDevice('dev-1');
    const tok = await w.token('dev-1');
    const ok = await w.h.simpleenroll(
      estReq(boundCsr(w.binding).csrDer, { basic: basic(tok), channelBinding: w.binding }),
    );
    assert.equal(ok.status, 200);
    const r = await w.h.simpleenroll(
      estReq(boundCsr(w.binding).csrDer, { basic: basic(tok), channelBinding: w.binding }),
    );
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Basic realm="gatehouse-est"');
    assert.match(text(r), /ERR_ENROLL_TOKEN_USED/);
    const audit = await w.t.db('audit_log').where({ action: 'enroll.token.replay' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0].target, 'device:dev-1');
  } finally {
    await w.cleanup();
  }
});

test('bad tokens and unbound Basic are 401', async () => {
  const w = await handlerWorld();
  try {
    await w.addDevice('dev-1');
    await w.addDevice('dev-2');
    const tok = await w.token('dev-1');
    const cb = w.binding;
    const cases: Array<[string, Parameters<typeof estReq>[1], Buffer]> = [
      ['unknown token', { basic: basic('ab'.repeat(24)), channelBinding: cb }, boundCsr(cb).csrDer],
      ['token of another device', { basic: basic(tok, 'dev-2'), channelBinding: cb }, boundCsr(cb).csrDer],
      ['no binding in the CSR', { basic: basic(tok), channelBinding: cb }, makeCsr().csrDer],
      [
        'binding of another connection',
        { basic: basic(tok), channelBinding: cb },
        boundCsr(Buffer.alloc(32, 7)).csrDer,
      ],
      ['not over TLS', { basic: basic(tok) }, boundCsr(cb).csrDer],
      [
        'unverified client certificate only',
        { clientChain: [w.pki.issuer.record.certDer], tlsAuthorized: false },
        boundCsr(cb).csrDer,
      ],
    ];
    // approval 'deny', so that "no usable credential" cannot fall through to a pending request
    const strict = createEstHandlers({
      onboarding: w.onboarding,
      ca: w.pki.ca,
      config: { ...w.config.est, labels: {}, approval: { mode: 'deny' } },
    });
    for (const [name, auth, csr] of cases) {
      const r = await strict.simpleenroll(estReq(csr, auth));
      assert.equal(r.status, 401, `${name}: ${text(r)}`);
      assert.equal(r.headers['www-authenticate'], 'Basic realm="gatehouse-est"', name);
    }
    // the token was never consumed by the refused attempts
    const r = await w.h.simpleenroll(estReq(boundCsr(cb).csrDer, { basic: basic(tok), channelBinding: cb }));
    assert.equal(r.status, 200, text(r));
    // an expired token
    await w.addDevice('dev-3');
    const old = await w.token('dev-3');
    w.clock.now = Date.now() + 73 * 3600_000;
    const e = await w.h.simpleenroll(estReq(boundCsr(cb).csrDer, { basic: basic(old), channelBinding: cb }));
    assert.equal(e.status, 401);
    assert.match(text(e), /ERR_ENROLL_TOKEN_EXPIRED/);
  } finally {
    await w.cleanup();
  }
});

test('allowUnboundBasic: token without binding accepted over TLS only', async () => {
  const w = await handlerWorld({ est: { allowUnboundBasic: true } });
  try {
    await w.addDevice('dev-1');
    const tok = await w.token('dev-1');
    const plain = await w.h.simpleenroll(estReq(makeCsr().csrDer, { basic: basic(tok) }));
    assert.equal(plain.status, 401, 'no channel binding data means no TLS');
    const r = await w.h.simpleenroll(estReq(makeCsr().csrDer, { basic: basic(tok), channelBinding: w.binding }));
    assert.equal(r.status, 200, text(r));
  } finally {
    await w.cleanup();
  }
});

test('415 wrong content type, 400 bad base64 / DER, 404 unknown label, labels pick the profile', async () => {
  const w = await handlerWorld({ labels: { gateways: { profile: 'device-tls', serverAuth: true } } });
  try {
    await w.addDevice('dev-1');
    const tok = await w.token('dev-1');
    const auth = { basic: basic(tok), channelBinding: w.binding };
    const csr = boundCsr(w.binding).csrDer;
    for (const ct of [undefined, 'application/octet-stream', 'text/plain', 'application/pkcs7-mime']) {
      const r = await w.h.simpleenroll(estReq(csr, auth, { contentType: ct }));
      assert.equal(r.status, 415, String(ct));
    }
    // media type compared without parameters, case-insensitively
    assert.equal(
      (await w.h.simpleenroll(estReq(csr, auth, { contentType: 'Application/PKCS10; charset=x' }))).status,
      200,
    );
    await w.addDevice('dev-2');
    const tok2 = await w.token('dev-2');
    const auth2 = { basic: basic(tok2), channelBinding: w.binding };
    for (const body of ['', '!!!!', 'QUJD=', 'A', '-----BEGIN CERTIFICATE REQUEST-----']) {
      const r = await w.h.simpleenroll(estReq(body, auth2));
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const junk = await w.h.simpleenroll(estReq(Buffer.from('30030201', 'hex'), auth2));
    assert.equal(junk.status, 400);
    assert.match(text(junk), /ERR_CSR_MALFORMED/);
    const unknown = await w.h.simpleenroll(estReq(boundCsr(w.binding).csrDer, auth2, { label: 'nope' }));
    assert.equal(unknown.status, 404);
    assert.equal((await w.h.cacerts(estReq('', {}, { label: 'nope' }))).status, 404);
    const gw = await w.h.simpleenroll(estReq(boundCsr(w.binding).csrDer, auth2, { label: 'gateways' }));
    const eku = certsOf(gw)[0]!.keyUsage ?? [];
    assert.ok(
      eku.includes('1.3.6.1.5.5.7.3.1') && eku.includes('1.3.6.1.5.5.7.3.2'),
      `serverAuth + clientAuth: ${eku}`,
    );
  } finally {
    await w.cleanup();
  }
});

test('no credential: 202 + Retry-After, admin approves, the same CSR then gets its certificate', async () => {
  const w = await handlerWorld({ approval: { retryAfterSeconds: 42 } });
  try {
    await w.addDevice('dev-9', { approve: false });
    const { csrDer } = makeCsr();
    const p = await w.h.simpleenroll(estReq(csrDer));
    assert.equal(p.status, 202, text(p));
    assert.equal(p.headers['retry-after'], '42');
    const again = await w.h.simpleenroll(estReq(csrDer));
    assert.equal(again.status, 202);
    const [req] = await w.onboarding.listRequests('pending');
    assert.ok(req);
    await w.onboarding.decideRequest(req.id, 'approved', 'dev-9', 'admin:alice');
    const r = await w.h.simpleenroll(estReq(csrDer));
    assert.match(certsOf(r)[0]!.subject, /CN=dev-9/);
    assert.equal((await w.inventory.get('dev-9'))?.state, 'enrolled');
    // a rejected request is 403
    const other = makeCsr().csrDer;
    await w.h.simpleenroll(estReq(other));
    const [r2] = await w.onboarding.listRequests('pending');
    await w.onboarding.decideRequest(r2!.id, 'rejected', null, 'admin:alice');
    assert.equal((await w.h.simpleenroll(estReq(other))).status, 403);
  } finally {
    await w.cleanup();
  }
});

test('approval deny: no credential is 401 with WWW-Authenticate', async () => {
  const w = await handlerWorld({ approval: { mode: 'deny' } });
  try {
    const r = await w.h.simpleenroll(estReq(makeCsr().csrDer));
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Basic realm="gatehouse-est"');
  } finally {
    await w.cleanup();
  }
});

test('IDevID client certificate: a pre-registered device enrolls; an unregistered one is 403', async () => {
  const w = await handlerWorld();
  try {
    await w.addDevice('cam-7', { approve: false, idevidSerial: 'ACME-0007' });
    const id = await w.idevid('ACME-0007');
    const r = await w.h.simpleenroll(estReq(makeCsr().csrDer, { clientChain: id.chain, tlsAuthorized: true }));
    assert.match(certsOf(r)[0]!.subject, /CN=cam-7/);
    const stranger = await w.idevid('ACME-9999');
    const s = await w.h.simpleenroll(estReq(makeCsr().csrDer, { clientChain: stranger.chain, tlsAuthorized: true }));
    assert.equal(s.status, 403, text(s));
  } finally {
    await w.cleanup();
  }
});
