/**
 * Upstream TLS pinning with a real self-signed HTTPS console and undici, and the response-header
 * filter: a wrong pin never lets one byte reach the impostor; no global skip-verify exists.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '../../../platform/errors.ts';
import { silentLogger } from '../../../platform/log.ts';
import { loadPolicy } from '../../../ztna-broker/policy/index.ts';
import { classifyUpstreamError, filterResponseHeaders } from '../../../ztna-broker/proxy/http-proxy.ts';
import { pinMatches } from '../../../ztna-broker/proxy/pin.ts';
import { Upstreams } from '../../../ztna-broker/proxy/upstreams.ts';
import { foreignSelfSigned, issueDevice, pemOf } from '../../integration/broker-certs.ts';
import { createTestCa } from '../../helpers/pki.ts';

describe('upstream pinning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-pin-'));
  const cert = foreignSelfSigned(dir, 'console');
  const other = foreignSelfSigned(dir, 'other');
  let hits = 0;
  const server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    hits++;
    res.end(`ok ${req.url}`);
  });
  let port = 0;
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const spki = (pem: string) => `sha256/${createHash('sha256').update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' })).digest('base64')}`;
  const policyWith = (pin: string) => loadPolicy(`routes:\n  - { id: cam, host: cam.test, upstream: "https://127.0.0.1:${port}", pin: "${pin}" }\nrules: []\n`);
  const ups = () => new Upstreams({ connectTimeoutMs: 2000, headersTimeoutMs: 2000, bodyTimeoutMs: 2000, connectionsPerRoute: 2 }, silentLogger());

  it('matches certificate and SPKI pins, nothing else', () => {
    const p = policyWith(spki(cert.certPem)).routes.get('cam')!.pins;
    assert.equal(pinMatches(cert.der, p), true);
    assert.equal(pinMatches(other.der, p), false);
    assert.equal(pinMatches(Buffer.from('garbage'), p), false);
    assert.equal(pinMatches(cert.der, policyWith(`sha256:${cert.fingerprint}`).routes.get('cam')!.pins), true);
  });

  for (const kind of ['cert', 'spki'] as const) {
    it(`connects to a self-signed console pinned by ${kind}`, async () => {
      const u = ups();
      const route = policyWith(kind === 'cert' ? `sha256:${cert.fingerprint}` : spki(cert.certPem)).routes.get('cam')!;
      const r = await u.pool(route).request({ path: '/x', method: 'GET' });
      assert.equal(await r.body.text(), 'ok /x');
      await u.close();
    });
  }

  it('a wrong pin fails with ERR_UPSTREAM_PIN before any request byte is sent', async () => {
    const u = ups();
    const before = hits;
    const route = policyWith(`sha256:${other.fingerprint}`).routes.get('cam')!;
    const e = await u.pool(route).request({ path: '/secret', method: 'GET' }).then(() => null, (err: unknown) => err);
    assert.ok(e);
    assert.deepEqual(classifyUpstreamError(e), { reason: 'upstream-pin-mismatch', status: 502 });
    assert.ok(isAppError(e, 'ERR_UPSTREAM_PIN') || isAppError((e as { cause?: unknown }).cause, 'ERR_UPSTREAM_PIN'));
    assert.equal(hits, before, 'the impostor saw no request');
    await u.close();
  });

  it('the policy has no way to skip verification', () => {
    assert.throws(() => loadPolicy(`routes:\n  - { id: cam, host: cam.test, upstream: "https://127.0.0.1:1", insecureSkipVerify: true }\nrules: []\n`), /TLS verification cannot be disabled/);
    assert.throws(() => loadPolicy(`routes:\n  - { id: cam, host: cam.test, upstream: "https://127.0.0.1:1" }\nrules: []\n`), /requires pin or ca/);
  });
});

describe('upstream verified by a CA', () => {
  it('accepts a console whose chain and name verify against the route CA, refuses another CA', async () => {
    const ca = await createTestCa();
    const dir = mkdtempSync(join(tmpdir(), 'gh-ca-route-'));
    try {
      const cert = await issueDevice(ca.ca, dir, 'console', ['localhost'], true);
      const server = createServer({ key: cert.keyPem, cert: cert.chainPem }, (_req, res) => res.end('ca ok'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as AddressInfo).port;
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, ca.ca.caCertificates().map(pemOf).join(''));
      const wrongCa = join(dir, 'wrong.pem');
      writeFileSync(wrongCa, foreignSelfSigned(dir, 'wrong-ca').certPem);
      const route = (file: string) => loadPolicy(`routes:\n  - { id: cam, host: cam.test, upstream: "https://localhost:${port}", ca: "${file}" }\nrules: []\n`).routes.get('cam')!;
      const u = new Upstreams({ connectTimeoutMs: 2000, headersTimeoutMs: 2000, bodyTimeoutMs: 2000, connectionsPerRoute: 1 }, silentLogger());
      assert.equal(await (await u.pool(route(caFile)).request({ path: '/', method: 'GET' })).body.text(), 'ca ok');
      const u2 = new Upstreams({ connectTimeoutMs: 2000, headersTimeoutMs: 2000, bodyTimeoutMs: 2000, connectionsPerRoute: 1 }, silentLogger());
      await assert.rejects(u2.pool(route(wrongCa)).request({ path: '/', method: 'GET' }));
      await u.close();
      await u2.close();
      server.close();
    } finally {
      await ca.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('response headers', () => {
  it('drops hop-by-hop and Connection-listed headers and broker cookies', () => {
    const out = filterResponseHeaders({
      connection: 'keep-alive, x-private',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'x-private': '1',
      'content-type': 'text/html',
      'set-cookie': ['__Host-gatehouse-session=planted; Path=/', '__HOST-GATEHOUSE-LOGIN=x', 'pref=1'],
    });
    assert.deepEqual(out, { 'content-type': 'text/html', 'set-cookie': ['pref=1'] });
  });
  it('classifies upstream failures', () => {
    assert.deepEqual(classifyUpstreamError(Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), { reason: 'upstream-timeout', status: 504 });
    assert.deepEqual(classifyUpstreamError(Object.assign(new Error('r'), { code: 'ECONNREFUSED' })), { reason: 'upstream-unavailable', status: 502 });
  });
});
