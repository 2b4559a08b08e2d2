import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toPem } from '../../../ca/asn1/index.ts';
import { createIssuingKeyAndCsr, registerIssuer, type Grant } from '../../../ca/index.ts';
import { createRoot, rootCrl, signIssuing } from '../../../ca/root/index.ts';
import { isAppError } from '../../../platform/errors.ts';
import { createTestCa, TEST_PASSPHRASE, makeCsr } from '../../helpers/pki.ts';
import { requireTool } from '../../helpers/tools.ts';

const code = (c: string) => (e: unknown) => isAppError(e) && e.code === c;
const tmp = () => mkdtempSync(join(tmpdir(), 'gh-root-'));
const openssl = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

test('createRoot writes an encrypted 0600 key and a self-signed CA certificate, never overwrites', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const dir = tmp();
  try {
    const r = createRoot({ dir, passphrase: TEST_PASSPHRASE, subject: { commonName: 'Ceremony Root', organization: 'Acme', country: 'FR' } });
    assert.equal(statSync(r.keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(r.keyFile, 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    const text = execFileSync('openssl', ['x509', '-in', r.certFile, '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/, 'P-384 by default');
    assert.match(text, /Basic Constraints: critical\s+CA:TRUE/);
    assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
    assert.match(text, /Subject Key Identifier/);
    assert.match(openssl(['verify', '-x509_strict', '-CAfile', r.certFile, r.certFile]).stdout, /OK/);
    const years = (r.notAfter.getTime() - r.notBefore.getTime()) / (365.25 * 86_400_000);
    assert.ok(Math.abs(years - 20) < 0.01);
    assert.throws(() => createRoot({ dir, passphrase: TEST_PASSPHRASE, subject: { commonName: 'Again' } }), code('ERR_CONFLICT'));
    assert.throws(() => createRoot({ dir: tmp(), passphrase: 'short', subject: { commonName: 'x' } }), code('ERR_BAD_INPUT'));
    assert.throws(() => createRoot({ dir: tmp(), passphrase: TEST_PASSPHRASE, subject: {} }), code('ERR_BAD_INPUT'));
    assert.throws(() => createRoot({ dir: tmp(), passphrase: TEST_PASSPHRASE, subject: { commonName: 'x' }, algorithm: 'Ed25519' as never }), code('ERR_KEY_POLICY'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('RSA-3072 root certifies a P-384 issuing CA: CA:TRUE pathlen 0, keyCertSign + cRLSign, SKI/AKI, openssl verify', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const dir = tmp();
  try {
    const root = createRoot({ dir: join(dir, 'root'), passphrase: TEST_PASSPHRASE, algorithm: 'RSA-3072', subject: { commonName: 'RSA Root' } });
    const k = createIssuingKeyAndCsr({ keyDir: join(dir, 'ca'), passphrase: TEST_PASSPHRASE, algorithm: 'P-384', subject: { commonName: 'Issuing P-384', organization: 'Acme' } });
    assert.equal(statSync(k.keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(k.keyFile, 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    writeFileSync(join(dir, 'req.der'), k.csrDer);
    assert.match(openssl(['req', '-inform', 'DER', '-in', join(dir, 'req.der'), '-verify', '-noout']).stderr + openssl(['req', '-inform', 'DER', '-in', join(dir, 'req.der'), '-verify', '-noout']).stdout, /verify OK/i);
    const s = await signIssuing({ dir: join(dir, 'root'), passphrase: TEST_PASSPHRASE, csrDer: k.csrDer, validityYears: 5 });
    writeFileSync(join(dir, 'int.pem'), toPem('CERTIFICATE', s.certDer));
    const text = execFileSync('openssl', ['x509', '-in', join(dir, 'int.pem'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
    assert.match(text, /Authority Key Identifier/);
    assert.match(openssl(['verify', '-x509_strict', '-CAfile', root.certFile, join(dir, 'int.pem')]).stdout, /OK/);
    assert.equal(new X509Certificate(s.certDer).subject, 'CN=Issuing P-384\nO=Acme'.split('\n').reverse().join('\n'));
    assert.match(readFileSync(join(dir, 'root', 'issued.log'), 'utf8'), new RegExp(s.serial));
    await assert.rejects(signIssuing({ dir: join(dir, 'root'), passphrase: 'not the passphrase', csrDer: k.csrDer }), code('ERR_KEY_LOCKED'));
    // issuing CAs need a strong key: an RSA-2048 CSR is refused
    await assert.rejects(signIssuing({ dir: join(dir, 'root'), passphrase: TEST_PASSPHRASE, csrDer: makeCsr('RSA-2048').csrDer }), code('ERR_KEY_POLICY'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('name constraints: openssl accepts a leaf inside them and rejects leaves outside them', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const ca = await createTestCa();
  const dir = tmp();
  try {
    const k = createIssuingKeyAndCsr({ keyDir: ca.keyDir, passphrase: TEST_PASSPHRASE, subject: { commonName: 'Constrained Issuing CA' } });
    const s = await signIssuing({
      dir: ca.rootDir,
      passphrase: TEST_PASSPHRASE,
      csrDer: k.csrDer,
      nameConstraints: { permittedDns: ['example.com'], excludedDns: ['bad.example.com'], permittedIp: ['10.0.0.0/8'], permittedEmail: ['.example.com'] },
    });
    await registerIssuer(ca.db, ca.audit, { certDer: s.certDer, chainDer: [ca.rootCertDer], keyFile: k.keyFile, actor: 'ceremony', passphrase: TEST_PASSPHRASE });
    await ca.ca.reload();
    assert.equal(ca.ca.activeIssuer().record.id, k.issuerId);
    writeFileSync(join(dir, 'root.pem'), toPem('CERTIFICATE', ca.rootCertDer));
    writeFileSync(join(dir, 'int.pem'), toPem('CERTIFICATE', s.certDer));
    const text = execFileSync('openssl', ['x509', '-in', join(dir, 'int.pem'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Name Constraints: critical/);
    assert.match(text, /Permitted:\s+DNS:example\.com\s+email:\.example\.com\s+IP:10\.0\.0\.0\/255\.0\.0\.0/);
    assert.match(text, /Excluded:\s+DNS:bad\.example\.com/);
    const verify = async (g: Partial<Grant>) => {
      const c = await ca.ca.issue(makeCsr().csrDer, { profile: 'device-tls', subject: { organization: 'Acme' }, actor: 'test', ...g });
      writeFileSync(join(dir, 'leaf.pem'), toPem('CERTIFICATE', c.der));
      const r = openssl(['verify', '-x509_strict', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'int.pem'), join(dir, 'leaf.pem')]);
      return r.stdout + r.stderr;
    };
    assert.match(await verify({ sans: { dns: ['dev-1.example.com'], ip: ['10.1.2.3'] } }), /leaf\.pem: OK/);
    assert.match(await verify({ sans: { dns: ['dev-1.other.org'] } }), /permitted subtree violation/);
    assert.match(await verify({ sans: { dns: ['x.bad.example.com'] } }), /excluded subtree violation/);
    assert.match(await verify({ sans: { dns: ['dev-2.example.com'], ip: ['192.168.1.1'] } }), /permitted subtree violation/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await ca.cleanup();
  }
});

test('root CRL: openssl parses and verifies it, numbers only go up, a revoked issuing CA fails verification', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const ca = await createTestCa();
  const dir = tmp();
  try {
    const intSerial = new X509Certificate(ca.issuer.record.certDer).serialNumber.toLowerCase();
    writeFileSync(join(dir, 'root.pem'), toPem('CERTIFICATE', ca.rootCertDer));
    writeFileSync(join(dir, 'int.pem'), toPem('CERTIFICATE', ca.issuer.record.certDer));
    const empty = rootCrl({ dir: ca.rootDir, passphrase: TEST_PASSPHRASE, revokedSerials: [], nextUpdateDays: 30 });
    assert.equal(empty.number, 1n);
    writeFileSync(join(dir, 'crl.pem'), toPem('X509 CRL', empty.der));
    assert.match(openssl(['verify', '-crl_check', '-CAfile', join(dir, 'root.pem'), '-CRLfile', join(dir, 'crl.pem'), join(dir, 'int.pem')]).stdout, /int\.pem: OK/);

    const crl = rootCrl({ dir: ca.rootDir, passphrase: TEST_PASSPHRASE, revokedSerials: [{ serial: intSerial, reason: 'cACompromise' }, '0a1b2c3d4e5f6071', '0A:1B:2C:3D:4E:5F:60:71'], nextUpdateDays: 30 });
    assert.equal(crl.number, 2n);
    assert.ok(existsSync(crl.file));
    const text = openssl(['crl', '-inform', 'DER', '-in', crl.file, '-noout', '-text']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /X509v3 CRL Number:\s+2/);
    assert.match(text.stdout, /X509v3 Authority Key Identifier/);
    assert.match(text.stdout, new RegExp(`Serial Number: 0*${intSerial.toUpperCase().replace(/^0+/, '')}\\s+Revocation Date: [^\\n]+\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+CA Compromise`));
    assert.equal(text.stdout.match(/Serial Number: 0?A1B2C3D4E5F6071/g)?.length, 1, 'each serial once');
    const v = openssl(['crl', '-inform', 'DER', '-in', crl.file, '-CAfile', join(dir, 'root.pem'), '-noout']);
    assert.match(v.stdout + v.stderr, /verify OK/);
    writeFileSync(join(dir, 'crl.pem'), toPem('X509 CRL', crl.der));
    const revoked = openssl(['verify', '-crl_check', '-CAfile', join(dir, 'root.pem'), '-CRLfile', join(dir, 'crl.pem'), join(dir, 'int.pem')]);
    assert.match(revoked.stdout + revoked.stderr, /certificate revoked/);
    assert.throws(() => rootCrl({ dir: ca.rootDir, passphrase: TEST_PASSPHRASE, revokedSerials: [{ serial: '01', reason: 'removeFromCRL' }] }), code('ERR_REVOCATION_REASON'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await ca.cleanup();
  }
});

test('the online path never imports ca/root/ (no route from the service to the root key)', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const caDir = resolve(here, '../../../ca');
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:from\s+|import\s*\(\s*|new URL\(\s*)'(\.{1,2}\/[^']+\.ts)'/g)) walk(resolve(dirname(file), m[1] as string));
  };
  for (const entry of ['index.ts', 'service.ts', 'issue.ts', 'prepare-worker.ts']) walk(join(caDir, entry));
  const offenders = [...seen].filter((f) => f.includes(`${join(caDir, 'root')}/`));
  assert.deepEqual(offenders, []);
  assert.ok(seen.size > 15, 'the walk followed imports');
});
