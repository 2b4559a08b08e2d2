/**
 * EST authentication over real TLS with a Node client (RFC 7030 §3.3, §3.5):
 * - Basic token bound to the channel: the CSR's challengePassword = base64(tls-unique) on TLS 1.2
 *   and base64(tls-exporter) on TLS 1.3, with allowUnboundBasic = false; a binding taken from
 *   another connection is refused.
 * - mTLS: renewal with the issued certificate, IDevID chain for first enrollment; an untrusted
 *   certificate is not authenticated (401), a trusted foreign one renews nothing (403). (Expired
 *   and revoked certificates of ours: test/unit/enrollment/est/reenroll.test.ts, 403.)
 * - Nothing below TLS 1.2 is accepted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { parseDegenerate } from '../../enrollment/scep/index.ts';
import { parseCertificate, buildCsr } from '../../ca/index.ts';
import { createEnrollEnv, startEst, type EnrollEnv, type RunningEst } from '../unit/enrollment/est/harness.ts';
import { createTestCa, makeCsr } from '../helpers/pki.ts';
import { basicAuth, clientBinding, estCall, estConnect, estRequest, type EstConnOptions } from './est-client.ts';

let env: EnrollEnv;
let est: RunningEst;
let ca: string;

before(async () => {
  env = await createEnrollEnv({ est: { allowUnboundBasic: false }, approval: { mode: 'deny' } });
  est = await startEst(env);
  ca = readFileSync(est.caFile, 'utf8');
});
after(async () => {
  await est.est.close();
  await env.cleanup();
});

const b64 = (der: Buffer) => der.toString('base64').replace(/.{64}/g, '$&\n');
const certOf = (body: string) => {
  const certs = parseDegenerate(Buffer.from(body, 'base64'));
  assert.equal(certs.length, 1, 'simpleenroll returns only the new certificate');
  return certs[0]!;
};

/** Token enrollment with the binding of the connection it is sent on. */
async function boundEnroll(version: 'TLSv1.2' | 'TLSv1.3', id: string) {
  await env.addDevice(id);
  const tok = await env.token(id);
  const sock = await estConnect({ port: est.port, ca, version });
  try {
    assert.equal(sock.getProtocol(), version);
    const binding = clientBinding(sock);
    const { csrDer, key } = makeCsr('P-256', { challengePassword: binding.toString('base64') });
    const r = await estRequest(sock, '/.well-known/est/simpleenroll', {
      body: b64(csrDer),
      headers: { authorization: basicAuth(tok, id) },
    });
    assert.equal(r.status, 200, r.body);
    return { der: certOf(r.body), key, tok, binding };
  } finally {
    sock.destroy();
  }
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`${version}: Basic token bound to the channel enrolls; the binding of another connection does not`, async () => {
    const dev = `cb-${version.slice(-3)}`;
    const first = await boundEnroll(version, dev);
    assert.match(new X509Certificate(first.der).subject, new RegExp(`CN=${dev}`));
    // replay the bound CSR (and a new token) on a new connection: binding mismatch
    const tok = await env.token(dev);
    const { csrDer } = makeCsr('P-256', { challengePassword: first.binding.toString('base64') });
    const r = await estCall({ port: est.port, ca, version }, '/.well-known/est/simpleenroll', {
      body: b64(csrDer),
      headers: { authorization: basicAuth(tok) },
    });
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Basic realm="gatehouse-est"');
    // unbound Basic is refused
    const u = await estCall({ port: est.port, ca, version }, '/.well-known/est/simpleenroll', {
      body: b64(makeCsr().csrDer),
      headers: { authorization: basicAuth(tok) },
    });
    assert.equal(u.status, 401);
  });

  test(`${version}: /simplereenroll with the issued certificate as TLS client certificate`, async () => {
    const cur = await boundEnroll(version, `re-${version.slice(-3)}`);
    const o: EstConnOptions = { port: est.port, ca, version, cert: [cur.der], key: cur.key };
    const subjectDer = parseCertificate(cur.der).tbs.subjectDer;
    const { signer } = makeCsr();
    const r = await estCall(o, '/.well-known/est/simplereenroll', { body: b64(buildCsr({ signer, subjectDer })) });
    assert.equal(r.status, 200, r.body);
    const next = new X509Certificate(certOf(r.body));
    assert.notEqual(next.serialNumber, new X509Certificate(cur.der).serialNumber);
    assert.ok(next.checkIssued(new X509Certificate(env.pki.issuer.record.certDer)));
  });
}

test('IDevID chain over mTLS enrolls a pre-registered device', async () => {
  await env.addDevice('cam-1', { approve: false, idevidSerial: 'ACME-1' });
  const id = await env.idevid('ACME-1');
  const r = await estCall({ port: est.port, ca, cert: id.chain, key: id.key }, '/.well-known/est/simpleenroll', {
    body: b64(makeCsr().csrDer),
  });
  assert.equal(r.status, 200, r.body);
  assert.match(new X509Certificate(certOf(r.body)).subject, /CN=cam-1/);
  // the IDevID is trusted by TLS but is not our certificate: no renewal with it
  const re = await estCall({ port: est.port, ca, cert: id.chain, key: id.key }, '/.well-known/est/simplereenroll', {
    body: b64(makeCsr().csrDer),
  });
  assert.equal(re.status, 403, re.body);
  assert.match(re.body, /ERR_CERT_FOREIGN/);
});

test('a client certificate TLS did not verify is not authenticated (401)', async () => {
  const other = await createTestCa();
  try {
    const { csrDer, key } = makeCsr();
    const c = await other.ca.issue(csrDer, {
      profile: 'device-tls',
      subject: { commonName: 'stranger' },
      actor: 'test',
    });
    const r = await estCall({ port: est.port, ca, cert: [c.der, ...c.chain], key }, '/.well-known/est/simplereenroll', {
      body: b64(makeCsr().csrDer),
    });
    assert.equal(r.status, 401, r.body);
  } finally {
    await other.cleanup();
  }
});

test('TLS 1.1 is refused', async () => {
  const s = connect({
    host: '127.0.0.1',
    port: est.port,
    ca,
    servername: 'localhost',
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1.1',
  });
  const err = await new Promise<Error | null>((resolve) => {
    s.once('secureConnect', () => resolve(null));
    s.once('error', resolve);
  });
  s.destroy();
  assert.ok(err, 'handshake must fail');
});

test('issuer rollover: after refreshTrust() a certificate from the new issuer authenticates (last: changes the CA)', async () => {
  const oldChain = env.chainPem();
  await env.pki.addIssuer();
  const cur = await boundEnrollAt('roll-1');
  // a device that sends only its leaf (OpenSSL would add the new issuing CA from `ca` if it knew it)
  const o: EstConnOptions = { port: est.port, ca: oldChain, cert: [cur.der], key: cur.key };
  const subjectDer = parseCertificate(cur.der).tbs.subjectDer;
  const reenroll = () =>
    estCall(o, '/.well-known/est/simplereenroll', { body: b64(buildCsr({ signer: makeCsr().signer, subjectDer })) });
  assert.equal((await reenroll()).status, 401, 'the new issuer is not in the TLS trust list yet');
  est.est.refreshTrust();
  const r = await reenroll();
  assert.equal(r.status, 200, r.body);
  const cacerts = await estCall(o, '/.well-known/est/cacerts');
  assert.equal(
    parseDegenerate(Buffer.from(cacerts.body, 'base64'))[0]!.equals(env.pki.ca.activeIssuer().record.certDer),
    true,
  );
});

/** Enrolls `id` through Onboarding directly (no HTTP): its certificate and key. */
async function boundEnrollAt(id: string) {
  await env.addDevice(id);
  const { csrDer, key } = makeCsr();
  const out = await env.onboarding.enroll({
    csrDer,
    credential: { kind: 'token', token: await env.token(id) },
    protocol: 'est',
    peer: 'test',
  });
  assert.equal(out.kind, 'issued');
  return { der: out.kind === 'issued' ? out.cert.der : Buffer.alloc(0), key };
}
