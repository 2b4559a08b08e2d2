/**
 * Interop with a real SCEP client: micromdm `scepclient` (Debian package `scep`) against a
 * minimal node:http SCEP endpoint wired from our message layer + an openssl-CLI "CA".
 * Covers GetCACert (RA+CA degenerate), GetCACaps, PKIOperation over POST and GET (including the
 * macOS habit of sending '+' and '/' unescaped), PKCSReq, RenewalReq and a CertRep FAILURE.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { getCaCapsText, SCEP_CONTENT_TYPES } from '../../../../enrollment/scep/index.ts';
import { requireTool } from '../../../helpers/tools.ts';
import { signPkiMessage } from './client.ts';
import { makePki, openssl, opensslEnvelope } from './pki.ts';
import { server, state } from './scep-server.ts';

const run = promisify(execFile);
const pki = makePki();

let url = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scep`;
});
after(() => server.close());

async function scepclient(bin: string, dir: string, cn: string): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run(
      bin,
      ['-server-url', url, '-private-key', path.join(dir, 'key.pem'), '-cn', cn, '-challenge', `challenge-${cn}`],
      { timeout: 30_000 },
    );
    return { ok: true, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

const certOf = (dir: string): crypto.X509Certificate =>
  new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'client.pem')));

describe('micromdm scepclient round trip', { timeout: 120_000 }, () => {
  it('PKCSReq over POST, then RenewalReq signed with the issued certificate', async (t) => {
    const bin = requireTool(t, 'scepclient', 'scep');
    if (!bin) return;
    const dir = fs.mkdtempSync(path.join(pki.dir, 'client-'));
    state.seen = [];
    const first = await scepclient(bin, dir, 'dev-scep-1');
    assert.ok(first.ok, first.out);
    const cert = certOf(dir);
    assert.equal(cert.subject.includes('CN=dev-scep-1'), true, cert.subject);
    assert.ok(cert.verify(new crypto.X509Certificate(pki.caDer).publicKey));
    openssl(pki.dir, 'x509', '-in', path.join(dir, 'client.pem'), '-noout', '-text'); // openssl parses it too
    const req = state.seen.at(-1)?.msg;
    assert.equal(req?.messageType, 19);
    assert.equal(state.seen.at(-1)?.method, 'POST');
    // Debian's scepclient 2.1 ignores the AES capability and sends single DES with SHA-1.
    assert.deepEqual([req?.contentEncryption, req?.digest], ['des-cbc', 'sha1']);
    const csrText = openssl(
      pki.dir,
      'req',
      '-inform',
      'DER',
      '-in',
      writeTmp(req?.csrDer),
      '-noout',
      '-text',
    ).toString();
    assert.match(csrText, /challengePassword\s*:\s*challenge-dev-scep-1/);

    const second = await scepclient(bin, dir, 'dev-scep-1');
    assert.ok(second.ok, second.out);
    const renewal = state.seen.at(-1)?.msg;
    assert.equal(renewal?.messageType, 17);
    assert.deepEqual(renewal?.signerCertDer, cert.raw);
    assert.notEqual(certOf(dir).serialNumber, cert.serialNumber);
  });

  it('PKIOperation over GET when POSTPKIOperation is not advertised', async (t) => {
    const bin = requireTool(t, 'scepclient', 'scep');
    if (!bin) return;
    state.caps = 'SHA-256\nAES\n';
    state.seen = [];
    try {
      const dir = fs.mkdtempSync(path.join(pki.dir, 'client-'));
      const r = await scepclient(bin, dir, 'dev-scep-get');
      assert.ok(r.ok, r.out);
      assert.equal(state.seen.at(-1)?.method, 'GET');
      assert.ok(certOf(dir).subject.includes('CN=dev-scep-get'));
    } finally {
      state.caps = getCaCapsText();
    }
  });

  it('single DES refused by policy: scepclient receives a CertRep FAILURE (badAlg) and writes nothing', async (t) => {
    const bin = requireTool(t, 'scepclient', 'scep');
    if (!bin) return;
    state.allowDesCbc = false;
    try {
      const dir = fs.mkdtempSync(path.join(pki.dir, 'client-'));
      const r = await scepclient(bin, dir, 'dev-scep-des');
      assert.equal(r.ok, false);
      assert.match(r.out, /failInfo: badAlg \(0\)/); // badAlg, parsed by the client from our signed CertRep
      assert.equal(fs.existsSync(path.join(dir, 'client.pem')), false);
    } finally {
      state.allowDesCbc = true;
    }
  });
});

function writeTmp(der: Buffer | undefined): string {
  const f = pki.file(`${crypto.randomUUID()}.der`);
  fs.writeFileSync(f, der ?? Buffer.alloc(0));
  return f;
}

describe('GET with unescaped base64 (macOS style)', () => {
  it("a message whose base64 has raw '+' and '/' is decoded and answered", async () => {
    let b64 = '';
    for (let i = 0; i < 20 && !(b64.includes('+') && b64.includes('/')); i++) {
      const der = await signPkiMessage({
        envelope: opensslEnvelope(pki, pki.csrDer, ['ra.pem']),
        messageType: 19,
        signerCertDer: pki.selfDer,
        signerKeyPem: pki.deviceKeyPem,
        transactionId: `mac-${i}`,
      });
      b64 = der.toString('base64');
    }
    assert.ok(b64.includes('+') && b64.includes('/'));
    const res = await fetch(`${url}?operation=PKIOperation&message=${b64}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), SCEP_CONTENT_TYPES.pkiMessage);
    const rep = Buffer.from(await res.arrayBuffer());
    openssl(
      pki.dir,
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      writeTmp(rep),
      '-CAfile',
      pki.file('ca.pem'),
      '-out',
      '/dev/null',
    );
    assert.equal(state.seen.at(-1)?.msg?.transactionId?.startsWith('mac-'), true);
  });
});
