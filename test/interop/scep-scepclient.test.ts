/**
 * Interop: the REAL micromdm `scepclient` (Debian package `scep`, 2.1) against the production
 * SCEP router (RFC 8894) with a real CA, inventory and onboarding:
 * - a device from the inventory enrolls with its one-time token as challengePassword (PKCSReq),
 *   then renews (RenewalReq signed by the issued certificate); `openssl verify` accepts both
 *   certificates against root + issuing CA;
 * - a challenge that is not an inventory token, and a retired device, get CertRep FAILURE;
 * - with an all-RSA chain the client encrypts to EVERY GetCACert certificate and we pick ours.
 * scepclient 2.1 ignores GetCACaps and sends single DES + SHA-1: enrollment.scep.allowDesCbc is
 * on here (legacy-client risk, see the config schema). It also encrypts to every certificate
 * of GetCACert and panics on an EC CA key, so with an EC CA the RA is pinned (-ca-fingerprint).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { requireTool } from '../helpers/tools.ts';
import { createScepEnv, type ScepEnv } from '../unit/enrollment/scep/env.ts';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'gh-scepclient-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true }));

const pem = (der: Buffer): string => new X509Certificate(der).toString();

interface Client {
  dir: string;
  run(extra: string[]): Promise<{ ok: boolean; out: string }>;
  cert(): X509Certificate;
}

/** One device's scepclient state dir (key.pem, csr.pem, client.pem are kept between runs). */
function client(env: ScepEnv, bin: string, pin: boolean): Client {
  const dir = mkdtempSync(join(work, 'dev-'));
  const fp = createHash('sha256').update(env.ra.current().certDer).digest('hex');
  // Empty subject: the grant names the certificate, and an empty CSR subject is what lets the
  // renewal CSR (scepclient reuses csr.pem) pass onboarding's "same subject" rule.
  const base = ['-server-url', env.url, '-private-key', join(dir, 'key.pem'), '-certificate', join(dir, 'client.pem')];
  const subject = ['-cn', '', '-organization', '', '-ou', '', '-country', ''];
  return {
    dir,
    async run(extra) {
      try {
        const r = await run(bin, [...base, ...subject, ...(pin ? ['-ca-fingerprint', fp] : []), ...extra], { timeout: 60_000 });
        return { ok: true, out: r.stdout + r.stderr };
      } catch (e) {
        const x = e as { stdout?: string; stderr?: string };
        return { ok: false, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
      }
    },
    cert: () => new X509Certificate(readFileSync(join(dir, 'client.pem'))),
  };
}

/** `openssl verify` of a certificate against the test root with the issuing CA as untrusted. */
function opensslVerify(env: ScepEnv, cert: X509Certificate): string {
  const f = (name: string, body: string): string => {
    const p = join(work, `${randomBytes(6).toString('hex')}-${name}`);
    writeFileSync(p, body);
    return p;
  };
  const args = ['verify', '-CAfile', f('root.pem', pem(env.pki.rootCertDer)), '-untrusted', f('ca.pem', pem(env.pki.issuer.record.certDer)), f('leaf.pem', cert.toString())];
  return execFileSync('openssl', args, { encoding: 'utf8' });
}

function tool(t: TestContext): string | null {
  return requireTool(t, 'scepclient', 'scep');
}

describe('scepclient against an EC CA with an RSA RA (RA pinned)', { timeout: 180_000 }, () => {
  let env: ScepEnv;
  before(async () => {
    env = await createScepEnv({ http: true, allowDesCbc: true });
  });
  after(() => env.cleanup());

  it('enrolls an inventory device with its one-time token, then renews with RenewalReq', async (t) => {
    const bin = tool(t);
    if (!bin) return;
    const token = await env.addDevice('cam-sc-1');
    const c = client(env, bin, true);
    const first = await c.run(['-challenge', token]);
    assert.ok(first.ok, first.out);
    const cert = c.cert();
    assert.match(cert.subject, /CN=cam-sc-1/);
    assert.match(opensslVerify(env, cert), /: OK/);
    assert.equal((await env.inventory.get('cam-sc-1'))?.state, 'enrolled');

    const second = await c.run([]); // client.pem exists -> RenewalReq signed with it
    assert.ok(second.ok, second.out);
    const renewed = c.cert();
    assert.notEqual(renewed.serialNumber, cert.serialNumber);
    assert.match(renewed.subject, /CN=cam-sc-1/);
    assert.match(opensslVerify(env, renewed), /: OK/);
    const msgs = await env.metrics.getSingleMetricAsString('gatehouse_scep_messages_total');
    assert.match(msgs, /message_type="RenewalReq",status="SUCCESS"/);
  });

  it('a device not in the inventory (random challenge) gets FAILURE badRequest and no certificate', async (t) => {
    const bin = tool(t);
    if (!bin) return;
    const c = client(env, bin, true);
    const r = await c.run(['-challenge', randomBytes(24).toString('hex')]);
    assert.equal(r.ok, false);
    assert.match(r.out, /failInfo: badRequest \(2\)/);
    assert.equal(existsSync(join(c.dir, 'client.pem')), false);
  });

  it('a retired device is refused (its token was revoked with it)', async (t) => {
    const bin = tool(t);
    if (!bin) return;
    const token = await env.addDevice('cam-sc-2');
    await env.onboarding.retire('cam-sc-2', 'test');
    const c = client(env, bin, true);
    const r = await c.run(['-challenge', token]);
    assert.equal(r.ok, false);
    assert.match(r.out, /failInfo: badRequest \(2\)/);
  });

  it('the same token cannot be used twice', async (t) => {
    const bin = tool(t);
    if (!bin) return;
    const token = await env.addDevice('cam-sc-3');
    assert.ok((await client(env, bin, true).run(['-challenge', token])).ok);
    const again = await client(env, bin, true).run(['-challenge', token]);
    assert.equal(again.ok, false);
    assert.match(again.out, /failInfo: badRequest \(2\)/);
  });
});

describe('scepclient against an all-RSA chain (no pin: it encrypts to RA, CA and root)', { timeout: 180_000 }, () => {
  let env: ScepEnv;
  before(async () => {
    env = await createScepEnv({ http: true, allowDesCbc: true, algorithm: 'RSA-3072' });
  });
  after(() => env.cleanup());

  it('enrolls and renews', async (t) => {
    const bin = tool(t);
    if (!bin) return;
    const token = await env.addDevice('cam-rsa-1');
    const c = client(env, bin, false);
    const first = await c.run(['-challenge', token]);
    assert.ok(first.ok, first.out);
    assert.match(opensslVerify(env, c.cert()), /: OK/);
    const serial = c.cert().serialNumber;
    const second = await c.run([]);
    assert.ok(second.ok, second.out);
    assert.notEqual(c.cert().serialNumber, serial);
  });
});
