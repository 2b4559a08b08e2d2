/**
 * Issue #2 end to end with real clients, against the real `gatehouse` command:
 * init --dev -> the offline root folder moved away (serve must not need it) -> serve ->
 * cert issue -> openssl verify / certtool -i -> OCSP good (nonce, no nonce, GET) -> cert revoke
 * -> OCSP revoked within 2 s -> CRL + delta CRL say revoked (openssl -crl_check -use_deltas,
 * certtool --verify-crl) -> audit verify, export, offline verify, tamper detection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../helpers/tools.ts';
import { cliJson, runCli, startServe } from '../helpers/cli.ts';
import { opensslCsr, run, waitFor } from '../helpers/openssl.ts';
import { PG_URL, testDbKind } from '../helpers/db.ts';
import { randomBytes } from 'node:crypto';

test('issue #2 end to end: ceremony, issuance, OCSP, CRL, revocation, audit', { timeout: 180_000 }, async (t) => {
  const openssl = requireTool(t, 'openssl', 'openssl');
  const certtool = requireTool(t, 'certtool', 'gnutls-bin');
  const curl = requireTool(t, 'curl', 'curl');
  if (!openssl || !certtool || !curl) return;
  const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-'));
  const env: Record<string, string> = testDbKind() === 'pg' ? { GATEHOUSE_DB__URL: PG_URL, GATEHOUSE_DB__SCHEMA: `e2e_${randomBytes(5).toString('hex')}` } : {};
  const g = ['-d', join(dir, 'data')];
  const node = { stop: async () => undefined } as { stop(): Promise<void> };
  try {
    const init = await cliJson<{ issuerId: string }>([...g, 'init', '--dev', '--offline-dir', join(dir, 'offline')], env);
    const issuerId = init.issuerId;
    renameSync(join(dir, 'offline'), join(dir, 'offline-elsewhere')); // the online node never sees the root key
    const s = await startServe(g, env);
    Object.assign(node, s);
    const http = s.addresses.http!;

    const { csr } = await opensslCsr(dir, 'dev', '/CN=csr-asks-for-this/O=Evil');
    const issued = await cliJson<{ serial: string; pem: string }>([...g, 'cert', 'issue', '--csr', csr, '--profile', 'device-tls', '--cn', 'cam-1', '--uri', 'urn:gatehouse:device:cam-1', '--dns', 'cam-1.devices.example.test'], env);
    const [leafPem, issuingPem] = issued.pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    writeFileSync(join(dir, 'leaf.pem'), leafPem!);
    writeFileSync(join(dir, 'issuing.pem'), issuingPem!);
    const root = join(dir, 'data', 'ca', 'root.crt.pem');
    writeFileSync(join(dir, 'chain.pem'), issuingPem! + readFileSync(root, 'utf8'));

    const text = await run(openssl, ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-text']);
    assert.match(text.out, /Subject: .*CN ?= ?cam-1/, 'subject comes from the grant');
    assert.doesNotMatch(text.out, /csr-asks-for-this|Evil/, 'CSR names are ignored');
    assert.match(text.out, /URI:urn:gatehouse:device:cam-1/);
    assert.match(text.out, /CA Issuers - URI:http/);
    let v = await run(openssl, ['verify', '-x509_strict', '-CAfile', root, '-untrusted', join(dir, 'issuing.pem'), join(dir, 'leaf.pem')]);
    assert.equal(v.code, 0, v.out);
    const ct = await run(certtool, ['-i', '--infile', join(dir, 'leaf.pem')]);
    assert.equal(ct.code, 0, ct.out);
    assert.match(ct.out, /TLS WWW Client/);

    const ocsp = (extra: string[]) => run(openssl, ['ocsp', '-issuer', join(dir, 'issuing.pem'), '-cert', join(dir, 'leaf.pem'), '-url', `${http}/ocsp`, '-CAfile', join(dir, 'chain.pem'), ...extra]);
    let o = await ocsp([]);
    assert.match(o.out, /Response verify OK/);
    assert.match(o.out, /leaf.pem: good/);
    o = await ocsp(['-no_nonce']);
    assert.match(o.out, /leaf.pem: good/);
    await run(openssl, ['ocsp', '-issuer', join(dir, 'issuing.pem'), '-cert', join(dir, 'leaf.pem'), '-no_nonce', '-reqout', join(dir, 'req.der')]);
    const b64 = readFileSync(join(dir, 'req.der')).toString('base64');
    const get = await run(curl, ['-s', '-D', join(dir, 'h.txt'), '-o', join(dir, 'resp.der'), `${http}/ocsp/${encodeURIComponent(b64)}`]);
    assert.equal(get.code, 0);
    assert.match(readFileSync(join(dir, 'h.txt'), 'utf8'), /cache-control: .*max-age=\d+/i);
    o = await run(openssl, ['ocsp', '-respin', join(dir, 'resp.der'), '-issuer', join(dir, 'issuing.pem'), '-cert', join(dir, 'leaf.pem'), '-CAfile', join(dir, 'chain.pem')]);
    assert.match(o.out, /leaf.pem: good/);

    const rev = await runCli([...g, 'cert', 'revoke', issued.serial, '--reason', 'keyCompromise'], env);
    assert.equal(rev.code, 0, rev.stderr);
    const t0 = Date.now();
    const seen = await waitFor(async () => /leaf.pem: revoked/.test((await ocsp(['-no_nonce'])).out), 2_000, 100);
    assert.ok(seen, `OCSP (cached path) did not say revoked within 2 s (${Date.now() - t0} ms)`);
    o = await ocsp([]);
    assert.match(o.out, /leaf.pem: revoked/);
    assert.match(o.out, /Reason: keyCompromise/);

    const fetchCrl = async (delta: boolean) => {
      const file = join(dir, delta ? 'delta.der' : 'full.der');
      await run(curl, ['-sf', '-o', file, `${http}/crl/${issuerId}${delta ? '-delta' : ''}.crl`]);
      await run(openssl, ['crl', '-inform', 'DER', '-in', file, '-out', file.replace('.der', '.pem')]);
      return (await run(openssl, ['crl', '-inform', 'DER', '-in', file, '-noout', '-text'])).out;
    };
    const seenInCrl = await waitFor(async () => (await fetchCrl(false)).includes(issued.serial.toUpperCase()), 10_000, 250);
    assert.ok(seenInCrl, 'full CRL lists the revoked serial');
    const full = await fetchCrl(false);
    assert.match(full, /Key Compromise/);
    assert.match(full, /Issuing Distribution Point/);
    assert.match(await fetchCrl(true), /Delta CRL Indicator/);
    v = await run(openssl, ['verify', '-x509_strict', '-crl_check', '-use_deltas', '-CAfile', root, '-untrusted', join(dir, 'issuing.pem'), '-CRLfile', join(dir, 'full.pem'), '-CRLfile', join(dir, 'delta.pem'), join(dir, 'leaf.pem')]);
    assert.notEqual(v.code, 0);
    assert.match(v.out, /certificate revoked/);
    const vc = await run(certtool, ['--verify-crl', '--load-ca-certificate', join(dir, 'issuing.pem'), '--infile', join(dir, 'full.pem')]);
    assert.equal(vc.code, 0, vc.out);

    const av = await cliJson<{ ok: boolean; entries: number }>([...g, 'audit', 'verify'], env);
    assert.equal(av.ok, true);
    assert.ok(av.entries >= 5);
    const exp = join(dir, 'audit.jsonl');
    assert.equal((await runCli([...g, 'audit', 'export', '--out', exp], env)).code, 0);
    assert.equal((await runCli(['audit', 'verify', '--file', exp])).code, 0);
    const lines = readFileSync(exp, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"action":"cert.revoke'));
    assert.ok(i > 0, 'the revocation is in the audit log');
    lines[i] = lines[i]!.replace('keyCompromise', 'superseded');
    writeFileSync(exp, lines.join('\n'));
    const bad = await runCli(['audit', 'verify', '--file', exp]);
    assert.equal(bad.code, 4);
    assert.match(bad.stdout, /BROKEN at seq \d+ \(line \d+\)/);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
