/**
 * The SCEP HTTP binding over a real listener (RFC 8894 §4): operations, labels, content types,
 * GET message= with macOS-style unescaped '+' and '/', body limits before buffering, and
 * fast-check garbage: always a SCEP answer or a 4xx, never a 5xx, and the server stays up.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createScepEnv, type ScepEnv } from './env.ts';
import { csrOf, pkiMessage, readReply, selfSigned } from './requester.ts';

let env: ScepEnv;
before(async () => {
  env = await createScepEnv({ http: true, labels: { servers: { profile: 'device-tls', serverAuth: true } } });
});
after(() => env.cleanup());

const raDer = (): Buffer => env.ra.current().certDer;
const get = (path: string): Promise<Response> => fetch(env.url.replace(/\/scep$/, '') + path);
const post = (path: string, body: Buffer, type = 'application/x-pki-message'): Promise<Response> =>
  fetch(env.url.replace(/\/scep$/, '') + path, { method: 'POST', body, headers: { 'content-type': type } });

describe('SCEP router: operations and paths', () => {
  it('GetCACaps (text/plain) and GetCACert (x-x509-ca-ra-cert), also under /pkiclient.exe and a label', async () => {
    for (const p of ['/scep', '/scep/', '/scep/pkiclient.exe', '/scep/servers', '/scep/servers/pkiclient.exe']) {
      const caps = await get(`${p}?operation=GetCACaps`);
      assert.equal(caps.status, 200, p);
      assert.equal(caps.headers.get('content-type'), 'text/plain');
      assert.match(await caps.text(), /Renewal/);
      const ca = await get(`${p}?operation=GetCACert&message=CA`);
      assert.equal(ca.headers.get('content-type'), 'application/x-x509-ca-ra-cert');
      assert.ok(Buffer.from(await ca.arrayBuffer()).includes(raDer()));
    }
  });

  it('unknown label or deeper path -> 404; missing or unknown operation -> 400; PUT -> 405', async () => {
    assert.equal((await get('/scep/nope?operation=GetCACaps')).status, 404);
    assert.equal((await get('/scep/servers/x/y?operation=GetCACaps')).status, 404);
    assert.equal((await get('/scep')).status, 400);
    assert.equal((await get('/scep?operation=GetNextCACert')).status, 400);
    assert.equal((await get('/scep?operation=PKIOperation')).status, 400);
    assert.equal((await get('/scep?operation=PKIOperation&message=%%%')).status, 400);
    assert.equal((await fetch(env.url + '?operation=GetCACaps', { method: 'PUT' })).status, 405);
  });

  it('POST with a foreign content type -> 415; over maxBodyBytes -> 413 before the body is sent', async () => {
    assert.equal((await post('/scep?operation=PKIOperation', Buffer.from('x'), 'text/html')).status, 415);
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(env.url + '?operation=PKIOperation');
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { 'content-length': String(10 * 1024 * 1024), 'content-type': 'application/x-pki-message' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1024)); // the rest never comes: the answer must not wait for it
    });
    assert.equal(status, 413);
  });
});

describe('SCEP router: PKIOperation over POST and GET', () => {
  it("GET with raw '+' and '/' in message= (macOS), and the same %-escaped, are both decoded", async () => {
    let b64 = '';
    let der: Buffer = Buffer.alloc(0);
    const dev = selfSigned();
    for (let i = 0; i < 20 && !(b64.includes('+') && b64.includes('/')); i++) {
      der = await pkiMessage({ raDer: raDer(), content: csrOf(dev), type: 19, txid: `mac-get-${i}`, by: dev });
      b64 = der.toString('base64');
    }
    for (const q of [b64, encodeURIComponent(b64)]) {
      const r = await get(`/scep?operation=PKIOperation&message=${q}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/x-pki-message');
      assert.equal((await readReply(Buffer.from(await r.arrayBuffer()), dev, raDer())).status, 'PENDING');
    }
  });

  it('POST under a label issues with that label’s profile (serverAuth added)', async () => {
    const token = await env.addDevice('srv-1');
    const dev = selfSigned();
    const der = await pkiMessage({ raDer: raDer(), content: csrOf(dev, { challenge: token }), type: 19, txid: 'label-1', by: dev });
    const r = await post('/scep/servers?operation=PKIOperation', der);
    const rep = await readReply(Buffer.from(await r.arrayBuffer()), dev, raDer());
    assert.equal(rep.status, 'SUCCESS');
    assert.ok(new X509Certificate(rep.certs[0]!).keyUsage?.includes('1.3.6.1.5.5.7.3.1'));
  });
});

describe('SCEP router: garbage never gets a 5xx and the server stays up', () => {
  const ok = (s: number): boolean => s === 200 || s === 400 || s === 413;

  it('random POST bodies and GET messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 600 }), async (body, msg) => {
        const a = await post('/scep?operation=PKIOperation', Buffer.from(body));
        assert.ok(ok(a.status), `POST -> ${a.status}`);
        await a.arrayBuffer();
        const b = await get(`/scep?operation=PKIOperation&message=${encodeURIComponent(msg)}`);
        assert.ok(ok(b.status), `GET -> ${b.status}`);
        await b.arrayBuffer();
      }),
      { numRuns: 150 },
    );
  });

  it('mutated valid pkiMessages: a CertRep or 400, never a 5xx', async () => {
    const dev = selfSigned();
    const base = await pkiMessage({ raDer: raDer(), content: csrOf(dev), type: 19, txid: 'fuzz-base', by: dev });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(base.length), { nil: undefined }),
        async (flips, cut) => {
          const m = Buffer.from(base);
          for (const [i, x] of flips) m[i] = (m[i] ?? 0) ^ x;
          const r = await post('/scep?operation=PKIOperation', cut === undefined ? m : m.subarray(0, cut));
          assert.ok(r.status === 200 || r.status === 400, `-> ${r.status}`);
          if (r.status === 200) assert.equal(r.headers.get('content-type'), 'application/x-pki-message');
          await r.arrayBuffer();
        },
      ),
      { numRuns: 200 },
    );
    assert.equal((await get('/scep?operation=GetCACaps')).status, 200);
  });
});
