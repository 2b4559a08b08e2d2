/**
 * The CRL router over a fake source: conditional requests. Only If-None-Match (the CRL number)
 * answers 304; If-Modified-Since is ignored, because thisUpdate has whole seconds and a newer CRL
 * published in the same second would otherwise be reported as not modified.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { closeServer, createHttpServer, listen } from '../../../../platform/http/index.ts';
import { silentLogger } from '../../../../platform/log.ts';
import type { PublishedCrl } from '../../../../ca/crl/cache.ts';
import { createCrlRouter, type CrlSource } from '../../../../ca/crl/router.ts';

const second = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
const crl = (number: number, fill: number): PublishedCrl => ({
  issuerId: 'iss1',
  number,
  delta: false,
  baseNumber: null,
  thisUpdate: second,
  nextUpdate: new Date(second.getTime() + 86_400_000),
  entries: 0,
  der: Buffer.alloc(32, fill),
});

describe('CRL router: conditional GET', () => {
  let current = crl(1, 1);
  const src: CrlSource = {
    latest: async () => current,
    pem: (c) => Buffer.from(c.der.toString('base64')),
    knows: (id) => id === 'iss1',
    issuerCertificate: () => null,
  };
  let server: Server;
  let base: string;
  before(async () => {
    server = createHttpServer(
      [createCrlRouter(src, { now: () => second })],
      { requestTimeoutMs: 5000, headersTimeoutMs: 5000, keepAliveTimeoutMs: 5000 },
      silentLogger(),
    );
    base = `http://127.0.0.1:${(await listen(server, 0, '127.0.0.1')).port}`;
  });
  after(() => closeServer(server));

  it('304 only on a matching If-None-Match; a newer CRL of the same second is served despite If-Modified-Since', async () => {
    const first = await fetch(`${base}/crl/iss1.crl`);
    assert.equal(first.status, 200);
    const lastModified = first.headers.get('last-modified')!;
    assert.equal(lastModified, second.toUTCString());
    assert.equal((await fetch(`${base}/crl/iss1.crl`, { headers: { 'if-none-match': '"1"' } })).status, 304);

    current = crl(2, 2); // published within the same second: same Last-Modified
    const ims = await fetch(`${base}/crl/iss1.crl`, { headers: { 'if-modified-since': lastModified } });
    assert.equal(ims.status, 200);
    assert.deepEqual(Buffer.from(await ims.arrayBuffer()), current.der);
    assert.equal(ims.headers.get('etag'), '"2"');
    const both = await fetch(`${base}/crl/iss1.crl`, {
      headers: { 'if-modified-since': lastModified, 'if-none-match': '"1"' },
    });
    assert.equal(both.status, 200);
    assert.equal((await fetch(`${base}/crl/iss1.crl`, { headers: { 'if-none-match': 'W/"2"' } })).status, 304);
  });
});
