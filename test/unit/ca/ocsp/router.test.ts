/**
 * The OCSP router over a fake CA on a loopback server: RFC 5019 caching headers on pre-signed
 * good/revoked answers only (never on nonce, unknown or error responses), GET decoding quirks,
 * 304 on If-None-Match, protocol errors as OCSP statuses with HTTP 200, body limits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Server } from 'node:http';
import { EventBus } from '../../../../platform/events.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { createMetrics } from '../../../../platform/metrics.ts';
import { closeServer, createHttpServer, listen } from '../../../../platform/http/index.ts';
import { OcspResponder } from '../../../../ca/ocsp/responder.ts';
import { createOcspRouter } from '../../../../ca/ocsp/router.ts';
import { buildRequest, FakeCa, fakeIssuer, good, idFor, parseResponse } from './helpers.ts';

const config = {
  responseValiditySeconds: 3600,
  refreshBeforeSeconds: 900,
  maxCertIds: 5,
  responderValidityDays: 30,
  responderRenewBeforeDays: 7,
};
const OCSP_REQ = { 'content-type': 'application/ocsp-request' };

describe('OCSP router', () => {
  const A = fakeIssuer('issuer-a');
  const ca = new FakeCa([A]);
  ca.setStatus('issuer-a', 0xfbff, good());
  const bus = new EventBus('n', silentLogger());
  const ocsp = new OcspResponder({ ca, bus, config, log: silentLogger(), metrics: createMetrics(false) });
  let server: Server;
  let base: string;
  let port: number;

  before(async () => {
    server = createHttpServer(
      [createOcspRouter(ocsp, { path: '/ocsp' })],
      { requestTimeoutMs: 5000, headersTimeoutMs: 5000, keepAliveTimeoutMs: 5000 },
      silentLogger(),
    );
    port = (await listen(server, 0, '127.0.0.1')).port;
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    ocsp.stop();
    await closeServer(server);
  });

  const body = async (r: Response) => Buffer.from(await r.arrayBuffer());
  const req = buildRequest({ certIds: [idFor(A, 0xfbff)] });

  it('answers POST /ocsp and /ocsp/ with RFC 5019 caching headers', async () => {
    for (const path of ['/ocsp', '/ocsp/', '/ocsp/any/thing']) {
      const r = await fetch(base + path, { method: 'POST', headers: OCSP_REQ, body: req });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/ocsp-response');
      const b = await body(r);
      assert.equal(parseResponse(b).singles[0]!.kind, 'good');
      assert.equal(r.headers.get('content-length'), String(b.length));
      assert.match(r.headers.get('cache-control')!, /^max-age=\d+, public, no-transform, must-revalidate$/);
      const p = parseResponse(b);
      assert.equal(r.headers.get('last-modified'), p.singles[0]!.thisUpdate.toUTCString());
      assert.equal(r.headers.get('expires'), p.singles[0]!.nextUpdate!.toUTCString());
      assert.ok(r.headers.get('etag'));
    }
  });

  it('answers GET with raw, %-encoded and unpadded base64, and 304 on If-None-Match', async () => {
    const b64 = req.toString('base64');
    for (const enc of [b64, encodeURIComponent(b64), b64.replace(/=+$/, '')]) {
      const r = await fetch(`${base}/ocsp/${enc}`);
      assert.equal(r.status, 200, enc);
      assert.equal(parseResponse(await body(r)).singles[0]!.kind, 'good');
      const etag = r.headers.get('etag')!;
      const again = await fetch(`${base}/ocsp/${enc}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
    }
  });

  it('sends no caching headers on nonce responses and on errors', async () => {
    const withNonce = buildRequest({ certIds: [idFor(A, 0xfbff)], nonce: randomBytes(16) });
    const r = await fetch(base + '/ocsp', { method: 'POST', headers: OCSP_REQ, body: withNonce });
    assert.equal(parseResponse(await body(r)).nonceExtnValue?.length, 18);
    assert.equal(r.headers.get('cache-control'), null);
    assert.equal(r.headers.get('etag'), null);
    const bad = await fetch(base + '/ocsp', { method: 'POST', headers: OCSP_REQ, body: Buffer.from('nope') });
    assert.equal(bad.status, 200);
    assert.equal(parseResponse(await body(bad)).status, 1);
    assert.equal(bad.headers.get('cache-control'), null);
  });

  it('sends no caching headers on unknown answers, over POST and GET (60 s validity, never public)', async () => {
    const unknownReq = buildRequest({ certIds: [idFor(A, 0x7e57)] });
    for (const r of [
      await fetch(base + '/ocsp', { method: 'POST', headers: OCSP_REQ, body: unknownReq }),
      await fetch(`${base}/ocsp/${encodeURIComponent(unknownReq.toString('base64'))}`),
    ]) {
      const p = parseResponse(await body(r));
      assert.equal(p.singles[0]!.kind, 'unknown');
      assert.equal(p.singles[0]!.nextUpdate!.getTime() - p.singles[0]!.thisUpdate.getTime(), 60_000);
      assert.equal(r.headers.get('cache-control'), null);
      assert.equal(r.headers.get('etag'), null);
      assert.equal(r.headers.get('expires'), null);
    }
  });

  it('answers protocol errors as OCSP malformedRequest with HTTP 200', async () => {
    for (const headers of [{ 'content-type': 'application/octet-stream' }, {}] as Record<string, string>[]) {
      const r = await fetch(base + '/ocsp', { method: 'POST', headers, body: req });
      assert.equal(r.status, 200);
      assert.equal(parseResponse(await body(r)).status, 1);
    }
    const ok = await fetch(base + '/ocsp', {
      method: 'POST',
      headers: { 'content-type': 'Application/OCSP-Request; x=1' },
      body: req,
    });
    assert.equal(parseResponse(await body(ok)).status, 0);
    for (const path of ['/ocsp/', '/ocsp/%%%', '/ocsp/!!!!', '/ocsp/' + Buffer.from('garbage').toString('base64')]) {
      const r = await fetch(base + path);
      assert.equal(r.status, 200, path);
      assert.equal(parseResponse(await body(r)).status, 1, path);
    }
    const unknown = await fetch(base + '/ocsp', {
      method: 'POST',
      headers: OCSP_REQ,
      body: buildRequest({ certIds: [idFor(fakeIssuer('x'), 1)] }),
    });
    assert.equal(parseResponse(await body(unknown)).status, 6);
  });

  it('refuses an over-limit body before buffering it and closes the connection', async () => {
    const declared = await rawPost(port, Buffer.alloc(70_000, 0x30), false);
    assert.equal(declared.status, 200);
    assert.equal(declared.connection, 'close');
    assert.equal(parseResponse(declared.body).status, 1);
    const chunked = await rawPost(port, Buffer.alloc(70_000, 0x30), true);
    if (chunked.status !== 0) assert.equal(parseResponse(chunked.body).status, 1); // 0: reset while still sending
  });

  it('leaves other methods and paths to the HTTP layer', async () => {
    assert.equal((await fetch(base + '/ocsp', { method: 'PUT', body: req })).status, 405);
    assert.equal((await fetch(base + '/other')).status, 404);
    const head = await fetch(`${base}/ocsp/${req.toString('base64')}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });
});

function rawPost(
  port: number,
  payload: Buffer,
  chunked: boolean,
): Promise<{ status: number; connection?: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/ocsp-request' };
    if (!chunked) headers['content-length'] = String(payload.length);
    const r = request({ host: '127.0.0.1', port, method: 'POST', path: '/ocsp', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, connection: res.headers.connection, body: Buffer.concat(chunks) }),
      );
    });
    r.on('error', (e) => (isReset(e) ? resolve({ status: 0, body: Buffer.alloc(0) }) : reject(e)));
    if (chunked) for (let i = 0; i < payload.length; i += 10_000) r.write(payload.subarray(i, i + 10_000));
    else r.write(payload);
    r.end();
  });
}
const isReset = (e: Error): boolean => /EPIPE|ECONNRESET/.test(String((e as NodeJS.ErrnoException).code));
