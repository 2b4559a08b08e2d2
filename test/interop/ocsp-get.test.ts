/**
 * OCSP responder over GET (RFC 6960 App. A.1, RFC 5019 §5/§6) fetched with curl — base64 with raw
 * and %-encoded `+` `/` — and verified with `openssl ocsp -respin`, caching headers checked;
 * malformed bodies and oversized nonces over POST; GnuTLS `ocsptool` as a second parser and
 * client (with and without nonce).
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { requireTool } from '../helpers/tools.ts';
import { buildRequest, idFor } from '../unit/ca/ocsp/helpers.ts';
import { liveEnv, run, type LiveEnv } from '../unit/ca/ocsp/env.ts';

const openssl = (t: TestContext) => requireTool(t, 'openssl', 'openssl');
const curl = (t: TestContext) => requireTool(t, 'curl', 'curl');

describe('OCSP interop: GET with curl, ocsptool, malformed input', () => {
  let env: LiveEnv;
  before(async () => {
    env = await liveEnv();
  });
  after(async () => {
    await env.close();
  });

  it('malformed bodies and nonces over 32 octets -> malformedRequest (curl + openssl -respin)', async (t) => {
    if (!openssl(t) || !curl(t)) return;
    const bodies = {
      garbage: Buffer.from('this is not DER'),
      nonce33: buildRequest({ certIds: [idFor(env.pki.issuer, 1n)], nonce: randomBytes(33) }),
    };
    for (const [name, body] of Object.entries(bodies)) {
      writeFileSync(env.f(`${name}.der`), body);
      const c = await run('curl', [
        '-sS',
        '-o',
        env.f(`${name}.resp`),
        '-w',
        '%{http_code}',
        '-H',
        'Content-Type: application/ocsp-request',
        '--data-binary',
        `@${env.f(`${name}.der`)}`,
        env.url,
      ]);
      assert.equal(c.out.trim(), '200');
      const r = await run('openssl', ['ocsp', '-respin', env.f(`${name}.resp`), '-resp_text', '-noverify']);
      assert.match(r.out, /Responder Error: malformedrequest \(1\)/i, name);
    }
  });

  it('GET with raw and %-encoded base64 (with + and /), fetched by curl, verified by openssl -respin', async (t) => {
    if (!openssl(t) || !curl(t)) return;
    let leaf!: { path: string; serial: string };
    let b64 = '';
    for (let i = 0; i < 60 && !(b64.includes('+') && b64.includes('/')); i++) {
      leaf = await env.leafPem(`dev-get-${i}`);
      const q = await run('openssl', [
        'ocsp',
        '-issuer',
        env.f('issuing.pem'),
        '-cert',
        leaf.path,
        '-no_nonce',
        '-reqout',
        env.f('req.der'),
      ]);
      assert.equal(q.code, 0, q.out);
      b64 = readFileSync(env.f('req.der')).toString('base64');
    }
    assert.ok(b64.includes('+') && b64.includes('/'), 'a request whose base64 has + and /');
    for (const [name, path] of [
      ['raw', b64],
      ['encoded', encodeURIComponent(b64)],
    ]) {
      const c = await run('curl', [
        '-sS',
        '-D',
        env.f(`get-${name}.hdr`),
        '-o',
        env.f(`get-${name}.der`),
        `${env.url}/${path}`,
      ]);
      assert.equal(c.code, 0, c.out);
      const headers = readFileSync(env.f(`get-${name}.hdr`), 'utf8');
      assert.match(headers, /^HTTP\/1\.1 200/);
      assert.match(headers, /content-type: application\/ocsp-response/i);
      assert.match(headers, /cache-control: max-age=\d+, public, no-transform, must-revalidate/i);
      assert.match(headers, /last-modified: .+ GMT/i);
      assert.match(headers, /expires: .+ GMT/i);
      assert.match(headers, /etag: "/i);
      const v = await run('openssl', [
        'ocsp',
        '-respin',
        env.f(`get-${name}.der`),
        '-CAfile',
        env.f('chain.pem'),
        '-issuer',
        env.f('issuing.pem'),
        '-cert',
        leaf.path,
      ]);
      assert.match(v.out, /: good/, name);
      assert.match(v.out, /Response verify OK/, name);
    }
  });

  it('GnuTLS ocsptool parses our responses and queries the responder', async (t) => {
    if (!requireTool(t, 'ocsptool', 'gnutls-bin') || !openssl(t)) return;
    const leaf = await env.leafPem('dev-gnutls');
    await run('openssl', env.ocspArgs(leaf.path, '-no_nonce', '-respout', env.f('gnutls.der')));
    const info = await run('ocsptool', ['--response-info', '--load-response', env.f('gnutls.der')]);
    assert.equal(info.code, 0, info.out);
    assert.match(info.out, /Response Status: Successful/);
    assert.match(info.out, /Certificate Status: good/);
    for (const nonce of [[], ['--nonce']]) {
      const args = [
        `--ask=${env.url}`,
        '--load-issuer',
        env.f('issuing.pem'),
        '--load-cert',
        leaf.path,
        '--load-trust',
        env.f('chain.pem'),
      ];
      const ask = await run('ocsptool', [...args, ...nonce]);
      assert.equal(ask.code, 0, ask.out);
      assert.match(ask.out, /Certificate Status: good/);
      assert.match(ask.out, /Verifying OCSP Response: Success/);
    }
  });
});
