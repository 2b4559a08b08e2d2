/**
 * The CRL router over a real listener, driven by curl: content types, caching headers, HEAD,
 * conditional requests (304 on If-None-Match; If-Modified-Since ignored), PEM, delta, unknown issuers (404), and the AIA caIssuers URL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromPem } from '../../ca/asn1/index.ts';
import { crlUrls, parseCrl } from '../../ca/crl/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { CRL_CONFIG, run, servedCa } from '../unit/ca/crl/interop-fixture.ts';

interface Reply {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

async function curl(bin: string, dir: string, url: string, args: string[] = []): Promise<Reply> {
  const out = `${dir}/body-${Math.random().toString(36).slice(2)}`;
  const r = await run(bin, ['-sS', '-D', '-', '-o', out, ...args, url]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
  }
  let body = Buffer.alloc(0);
  try {
    body = readFileSync(out);
  } catch {
    /* no body (HEAD, 304) */
  }
  return { status, headers, body };
}

test('curl: GET/HEAD CRL (DER, PEM, delta) with caching headers, 304 on If-None-Match only, 404s, CA certificate', async (t) => {
  const bin = requireTool(t, 'curl', 'curl');
  if (!bin) return;
  const s = await servedCa();
  try {
    const leaf = await s.issue('dev');
    await s.ca.ca.revoke(leaf.serial, 'keyCompromise', { actor: 'test' });
    await s.crl.start(); // publishes the complete CRL (1) and its delta (2)
    const urls = crlUrls(s.baseUrl, s.issuerId);

    const full = await curl(bin, s.dir, urls.full);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('content-type'), 'application/pkix-crl');
    const parsed = parseCrl(full.body);
    assert.equal(parsed.number, 1n);
    assert.deepEqual(
      parsed.entries.map((e) => e.serial),
      [leaf.serial],
    );
    assert.equal(full.headers.get('etag'), '"1"');
    assert.equal(full.headers.get('content-length'), String(full.body.length));
    assert.equal(full.headers.get('last-modified'), parsed.thisUpdate.toUTCString());
    assert.equal(full.headers.get('expires'), parsed.nextUpdate!.toUTCString());
    const maxAge = Number(/^public, max-age=(\d+)/.exec(full.headers.get('cache-control') ?? '')?.[1]);
    assert.ok(maxAge > CRL_CONFIG.validitySeconds - 120 && maxAge <= CRL_CONFIG.validitySeconds, `max-age ${maxAge}`);

    const head = await curl(bin, s.dir, urls.full, ['-I']);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(full.body.length));
    assert.ok(!head.body.includes(full.body.subarray(0, 64)), 'no CRL bytes in a HEAD reply'); // curl -I stores the headers there

    assert.equal((await curl(bin, s.dir, urls.full, ['-H', 'If-None-Match: "1"'])).status, 304);
    assert.equal((await curl(bin, s.dir, urls.full, ['-H', 'If-None-Match: W/"7", "1"'])).status, 304);
    assert.equal((await curl(bin, s.dir, urls.full, ['-H', 'If-None-Match: "0"'])).status, 200);

    const pem = await curl(bin, s.dir, urls.full.replace(/\.crl$/, '.pem'));
    assert.equal(pem.status, 200);
    assert.equal(pem.headers.get('content-type'), 'application/x-pem-file');
    assert.deepEqual(fromPem(pem.body.toString('latin1'), 'X509 CRL'), full.body);

    const delta = await curl(bin, s.dir, urls.delta);
    assert.equal(delta.status, 200);
    assert.equal(parseCrl(delta.body).baseNumber, 1n);
    assert.equal(delta.headers.get('etag'), '"2"');

    // a newer CRL changes the ETag; the old one no longer matches
    await s.crl.publish(s.issuerId);
    const newer = await curl(bin, s.dir, urls.full, ['-H', 'If-None-Match: "1"']);
    assert.equal(newer.status, 200);
    assert.ok((parseCrl(newer.body).number ?? 0n) > 1n);
    // If-Modified-Since is not evaluated: thisUpdate has whole seconds, so a CRL published in the
    // same second (or a client clock ahead) must not get a 304 for the older CRL's date
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    for (const since of [full.headers.get('last-modified')!, future]) {
      const ims = await curl(bin, s.dir, urls.full, ['-H', `If-Modified-Since: ${since}`]);
      assert.equal(ims.status, 200, since);
      assert.deepEqual(ims.body, newer.body, 'the newest CRL');
    }

    for (const path of [
      '/crl/nope.crl',
      '/crl/' + s.issuerId + '.txt',
      '/crl/..%2f..%2fetc%2fpasswd.crl',
      '/crl/',
      '/ca/nope.crt',
    ]) {
      assert.equal((await curl(bin, s.dir, s.baseUrl + path)).status, 404, path);
    }

    // AIA caIssuers: the URL in the certificate serves the issuer certificate
    const aia = new RegExp(`${s.baseUrl.replace(/[.]/g, '\\.')}/ca/[^\\s\\x00-\\x1f"]+\\.crt`).exec(
      leaf.der.toString('latin1'),
    );
    assert.ok(aia, 'caIssuers URL in the leaf');
    const cert = await curl(bin, s.dir, aia[0]);
    assert.equal(cert.status, 200);
    assert.equal(cert.headers.get('content-type'), 'application/pkix-cert');
    assert.deepEqual(cert.body, s.ca.issuer.record.certDer);
    assert.equal((await curl(bin, s.dir, aia[0], ['-H', `If-None-Match: ${cert.headers.get('etag')}`])).status, 304);
  } finally {
    await s.close();
  }
});

test('curl: a known issuer without a CRL yet answers 503 with Retry-After', async (t) => {
  const bin = requireTool(t, 'curl', 'curl');
  if (!bin) return;
  const s = await servedCa();
  try {
    const r = await curl(bin, s.dir, crlUrls(s.baseUrl, s.issuerId).full);
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '5');
  } finally {
    await s.close();
  }
});
