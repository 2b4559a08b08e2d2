/**
 * Interop: certmonger's `scep-submit` helper (Debian package certmonger; /usr/libexec/certmonger
 * or /usr/lib/certmonger) against the production SCEP router (RFC 8894):
 * - GetCACaps (-c) and GetCACert (-C: it finds the RA certificate and the CA chain, §4.2.1.2);
 * - PKIOperation (-p, sent as GET message=): scep-submit verifies our RA-signed CertRep with
 *   the root as trust anchor (-N) and the issuing CA as extra certificate (-I), prints the
 *   pkcsPKIEnvelope, which `openssl cms -decrypt` opens with the device key; `openssl verify`
 *   accepts the certificate inside. The request itself is built by the test (certmonger's daemon
 *   would build it; its envelope here comes from `openssl cms -encrypt`).
 * - exit codes: 0 issued, 1/5 pending (no challenge -> approval), 2 rejected (bad challenge).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { requireTool } from '../helpers/tools.ts';
import { createScepEnv, type ScepEnv } from '../unit/enrollment/scep/env.ts';
import { signPkiMessage } from '../unit/enrollment/scep/client.ts';
import { csrOf, selfSigned, type Requester } from '../unit/enrollment/scep/requester.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'gh-certmonger-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, body: string | Buffer): string => {
  const p = join(dir, `${randomBytes(4).toString('hex')}-${name}`);
  writeFileSync(p, body);
  return p;
};
const pem = (der: Buffer): string => new X509Certificate(der).toString();
const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8' });

function scepSubmit(t: TestContext): string | null {
  for (const p of ['/usr/libexec/certmonger/scep-submit', '/usr/lib/certmonger/scep-submit']) if (existsSync(p)) return p;
  return requireTool(t, 'scep-submit', 'certmonger');
}

async function submit(bin: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(bin, args, { timeout: 30_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

let env: ScepEnv;
let trust: string[];
before(async () => {
  env = await createScepEnv({ http: true });
  trust = ['-r', file('ra.pem', pem(env.ra.current().certDer)), '-N', file('root.pem', pem(env.pki.rootCertDer)), '-I', file('ca.pem', pem(env.pki.issuer.record.certDer))];
});
after(() => env.cleanup());

/** PKCSReq as PEM: CSR enveloped by `openssl cms -encrypt` to the RA, signed by pkijs. */
async function pkcsReq(dev: Requester, csr: Buffer): Promise<string> {
  const out = file('env.der', '');
  openssl('cms', '-encrypt', '-binary', '-aes256', '-in', file('csr.der', csr), '-outform', 'DER', '-out', out, trust[1]!);
  const der = await signPkiMessage({ envelope: readFileSync(out), messageType: 19, transactionId: `cm-${randomBytes(6).toString('hex')}`, signerCertDer: dev.certDer, signerKeyPem: dev.keyPem });
  return file('req.pem', `-----BEGIN PKCS7-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PKCS7-----\n`);
}

describe('certmonger scep-submit', { timeout: 120_000 }, () => {
  it('GetCACaps (-c) lists our capabilities', async (t) => {
    const bin = scepSubmit(t);
    if (!bin) return;
    const r = await submit(bin, ['-u', env.url, '-c']);
    assert.equal(r.code, 0, r.out);
    for (const cap of ['Renewal', 'AES', 'SHA-256', 'POSTPKIOperation']) assert.match(r.out, new RegExp(`^${cap}$`, 'm'));
  });

  it('GetCACert (-C) prints the RA certificate, then the CA chain', async (t) => {
    const bin = scepSubmit(t);
    if (!bin) return;
    const r = await submit(bin, ['-u', env.url, '-C']);
    assert.equal(r.code, 0, r.out);
    const certs = r.out.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const ders = certs.map((c) => new X509Certificate(c).raw);
    assert.deepEqual(ders[0], env.ra.current().certDer);
    // scep-submit prints the CA it will trust (the self-signed root) before the others
    const sort = (l: Buffer[]): Buffer[] => [...l].sort(Buffer.compare);
    assert.deepEqual(sort(ders.slice(1)), sort(env.pki.ca.caCertificates()));
  });

  it('PKIOperation (-p) with the device token: CertRep verified by scep-submit, envelope opened by openssl', async (t) => {
    const bin = scepSubmit(t);
    if (!bin) return;
    const token = await env.addDevice('cam-cm-1');
    const dev = selfSigned();
    const r = await submit(bin, ['-u', env.url, ...trust, '-p', await pkcsReq(dev, csrOf(dev, { challenge: token }))]);
    assert.equal(r.code, 0, r.out);
    const envelope = r.out.match(/-----BEGIN PKCS7-----[\s\S]+?-----END PKCS7-----/)?.[0];
    assert.ok(envelope, r.out);
    const degenerate = file('deg.der', '');
    openssl('cms', '-decrypt', '-inform', 'PEM', '-in', file('rep.pem', envelope), '-recip', file('self.pem', pem(dev.certDer)), '-inkey', file('key.pem', dev.keyPem), '-binary', '-out', degenerate);
    const certs = openssl('pkcs7', '-inform', 'DER', '-in', degenerate, '-print_certs').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const leaf = new X509Certificate(certs[0]!);
    assert.match(leaf.subject, /CN=cam-cm-1/);
    assert.match(openssl('verify', '-CAfile', trust[3]!, '-untrusted', trust[5]!, file('leaf.pem', leaf.toString())), /: OK/);
  });

  it('no challenge -> pending (exit 1 or 5); a bogus challenge -> rejected (exit 2)', async (t) => {
    const bin = scepSubmit(t);
    if (!bin) return;
    const a = selfSigned();
    const pending = await submit(bin, ['-u', env.url, ...trust, '-p', await pkcsReq(a, csrOf(a))]);
    assert.ok(pending.code === 1 || pending.code === 5, `${pending.code}: ${pending.out}`);
    const b = selfSigned();
    const rejected = await submit(bin, ['-u', env.url, ...trust, '-p', await pkcsReq(b, csrOf(b, { challenge: randomBytes(24).toString('hex') }))]);
    assert.equal(rejected.code, 2, rejected.out);
  });
});
