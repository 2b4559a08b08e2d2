import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextPrimitive, OID, seq } from '../../../ca/asn1/index.ts';
import { subjectAltName } from '../../../ca/extensions.ts';
import { parseCertificate, findExtension } from '../../../ca/cert-parse.ts';
import { verifyAuditDb } from '../../../platform/audit/index.ts';
import { isAppError } from '../../../platform/errors.ts';
import { makeCsr } from '../../helpers/pki.ts';
import { grant, withCa, writeChain } from './issue-helpers.ts';
import { requireTool } from '../../helpers/tools.ts';
import type { Grant } from '../../../ca/index.ts';

test('issue end to end: openssl verify -x509_strict and certtool accept it; names come from the grant', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  await withCa(async (ca) => {
    const issued: unknown[] = [];
    ca.bus.subscribe('cert.issued', (p) => void issued.push(p));
    // the CSR asks for other names (subject and a SAN request): they must be ignored
    const asked = subjectAltName(seq(contextPrimitive(2, Buffer.from('evil.example.org'))), false);
    const { csrDer } = makeCsr('P-256', { subject: { commonName: 'evil-admin', organization: 'Evil' }, extensions: [asked] });
    const c = await ca.ca.issue(csrDer, grant({ serverAuth: true }));
    const dir = mkdtempSync(join(tmpdir(), 'gh-issue-'));
    try {
      const f = writeChain(dir, ca, c.der);
      const out = execFileSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', f.root, '-untrusted', f.int, f.leaf], { encoding: 'utf8' });
      assert.match(out, /leaf\.pem: OK/);
      const x = new X509Certificate(c.der);
      assert.equal(x.subject, 'O=Acme\nCN=dev-7');
      assert.equal(x.subjectAltName, 'DNS:dev-7.example.com, IP Address:192.0.2.7');
      assert.ok(!c.der.includes(Buffer.from('evil')), 'nothing from the CSR names');
      assert.equal(x.serialNumber.toLowerCase().replace(/^0+/, ''), c.serial);
      assert.equal(new Date(x.validTo).getTime(), c.notAfter.getTime());
      assert.equal(new Date(x.validFrom).getTime(), c.notBefore.getTime());
      assert.deepEqual(c.chain, [ca.issuer.record.certDer]);
      assert.deepEqual(ca.ca.caCertificates(), [ca.issuer.record.certDer, ca.rootCertDer]);
      if (requireTool(t, 'certtool', 'gnutls-bin')) {
        const r = spawnSync('certtool', ['-i', '--infile', f.leaf], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /Subject: CN=dev-7,O=Acme/);
        assert.match(r.stdout, /DNSname: dev-7\.example\.com/);
        assert.doesNotMatch(r.stdout + r.stderr, /error|warning/i);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const rec = await ca.ca.getCert(c.issuerId, c.serial);
    assert.equal(rec?.state, 'issued');
    assert.deepEqual(rec?.der, c.der);
    assert.equal(rec?.deviceId, 'dev-7');
    assert.equal(rec?.subject, 'CN=dev-7,O=Acme');
    const audit = (await ca.db('audit_log').orderBy('seq')).filter((r: { action: string }) => r.action.startsWith('cert.'));
    assert.deepEqual(audit.map((r: { action: string; target: string }) => [r.action, r.target]), [
      ['cert.reserve', `${c.issuerId}:${c.serial}`],
      ['cert.issue', `${c.issuerId}:${c.serial}`],
    ]);
    assert.equal((await verifyAuditDb(ca.db)).ok, true);
    assert.deepEqual(issued, [{ issuerId: c.issuerId, serial: c.serial, profile: 'device-tls', deviceId: 'dev-7' }]);
  });
});

test('issues for RSA, P-384 and Ed25519 keys and every profile; a P-384 PKI signs with ecdsa-with-SHA384', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  await withCa(
    async (ca) => {
      const dir = mkdtempSync(join(tmpdir(), 'gh-issue-'));
      try {
        const cases: Array<[Parameters<typeof makeCsr>[0], Partial<Grant>]> = [
          ['RSA-2048', {}],
          ['P-384', {}],
          ['Ed25519', {}],
          ['P-256', { profile: 'radius-server', sans: { dns: ['radius.example.com'] }, deviceId: null }],
          ['P-256', { profile: 'admin-client', subject: { commonName: 'Alice' }, sans: { email: ['alice@example.com'] }, deviceId: null }],
          ['P-256', { profile: 'ocsp-responder', subject: { commonName: 'OCSP Responder' }, sans: undefined, deviceId: null }],
          ['RSA-2048', { profile: 'scep-ra', subject: { commonName: 'SCEP RA' }, sans: undefined, deviceId: null }],
        ];
        for (const [alg, g] of cases) {
          const c = await ca.ca.issue(makeCsr(alg).csrDer, grant(g));
          const f = writeChain(dir, ca, c.der);
          const out = execFileSync('openssl', ['verify', '-x509_strict', '-CAfile', f.root, '-untrusted', f.int, f.leaf], { encoding: 'utf8' });
          assert.match(out, /OK/, `${alg} ${g.profile}`);
          assert.equal(parseCertificate(c.der).signatureAlgorithm.toString('hex'), '300a06082a8648ce3d040303');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    { algorithm: 'P-384' },
  );
});

test('serials stay unique under concurrency; group commit batches the writes', async () => {
  await withCa(async (ca) => {
    const csrs = Array.from({ length: 16 }, () => makeCsr().csrDer);
    const certs = await Promise.all(Array.from({ length: 300 }, (_, i) => ca.ca.issue(csrs[i % 16] as Buffer, grant({ deviceId: `dev-${i}`, subject: { commonName: `dev-${i}` }, sans: { dns: [`dev-${i}.example.com`] } }))));
    assert.equal(new Set(certs.map((c) => c.serial)).size, 300);
    const rows = await ca.db('ca_certificates').select('serial', 'state');
    assert.equal(rows.length, 300);
    assert.ok(rows.every((r: { state: string }) => r.state === 'issued'));
    assert.ok(ca.ca.groupStats.groups < ca.ca.groupStats.ops / 4, `groups ${JSON.stringify(ca.ca.groupStats)}`);
    assert.equal((await verifyAuditDb(ca.db)).ok, true);
  });
});

test('worker threads give the same certificates and the same error codes', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  await withCa(
    async (ca) => {
      const certs = await Promise.all(Array.from({ length: 20 }, () => ca.ca.issue(makeCsr().csrDer, grant())));
      assert.equal(new Set(certs.map((c) => c.serial)).size, 20);
      for (const c of certs) assert.ok(new X509Certificate(c.der).verify(new X509Certificate(ca.issuer.record.certDer).publicKey));
      const bad = Buffer.from(makeCsr().csrDer);
      bad[bad.length - 3] = (bad[bad.length - 3] as number) ^ 0xff;
      await assert.rejects(ca.ca.issue(bad, grant()), (e) => isAppError(e, 'ERR_CSR_SIGNATURE'));
      await assert.rejects(ca.ca.issue(makeCsr().csrDer, grant({ subject: { commonName: 'a\u0000b' } })), (e) => isAppError(e, 'ERR_PROFILE_POLICY'));
      const ext = findExtension(parseCertificate(certs[0]!.der).tbs, OID.authorityKeyIdentifier);
      assert.ok(ext);
    },
    { service: { workers: 1 } },
  );
});

test('Grant.onStore runs inside the store transaction; if it throws the certificate is not stored', async () => {
  for (const workers of [0, 1]) {
    await withCa(
      async (ca) => {
        await ca.db.schema.createTable('test_outcomes', (tb) => {
          tb.string('serial').primary();
          tb.string('issuer_id');
        });
        const record = async (trx: Parameters<NonNullable<Grant['onStore']>>[0], issuerId: string, serial: string) => {
          const stored = await trx('ca_certificates').where({ serial }).first();
          assert.equal(stored.state, 'issued', 'sees the stored certificate: same transaction');
          await trx('test_outcomes').insert({ serial, issuer_id: issuerId });
        };
        const c = await ca.ca.issue(makeCsr().csrDer, grant({ onStore: record }));
        assert.deepEqual(await ca.db('test_outcomes').select('serial', 'issuer_id'), [{ serial: c.serial, issuer_id: c.issuerId }]);
        const fail = async () => {
          throw new (await import('../../../platform/errors.ts')).AppError('ERR_CONFLICT', 'outcome refused');
        };
        await assert.rejects(ca.ca.issue(makeCsr().csrDer, grant({ onStore: fail })), (e) => isAppError(e, 'ERR_CONFLICT'));
        const states = (await ca.db('ca_certificates').select('state')).map((r: { state: string }) => r.state).sort();
        assert.deepEqual(states, ['issued', 'reserved'], `workers=${workers}: the second certificate stayed reserved, not stored`);
        assert.equal((await ca.db('audit_log').where({ action: 'cert.issue' })).length, 1);
      },
      { service: { workers } },
    );
  }
});

test('Grant.onReserve runs inside the reservation transaction; if it throws nothing is reserved', async () => {
  for (const workers of [0, 1]) {
    await withCa(
      async (ca) => {
        await ca.db.schema.createTable('test_tokens', (tb) => {
          tb.string('token').primary();
          tb.string('serial').nullable();
        });
        await ca.db('test_tokens').insert({ token: 't1' });
        const consume = async (trx: Parameters<NonNullable<Grant['onReserve']>>[0], serial: string) => {
          const n = await trx('test_tokens').where({ token: 't1' }).whereNull('serial').update({ serial });
          if (n !== 1) throw new (await import('../../../platform/errors.ts')).AppError('ERR_ENROLL_TOKEN_USED', 'token already used');
        };
        const c = await ca.ca.issue(makeCsr().csrDer, grant({ onReserve: consume }));
        assert.equal((await ca.db('test_tokens').first()).serial, c.serial);
        await assert.rejects(ca.ca.issue(makeCsr().csrDer, grant({ onReserve: consume })), (e) => isAppError(e, 'ERR_ENROLL_TOKEN_USED'));
        assert.equal((await ca.db('ca_certificates')).length, 1, `workers=${workers}: the second reservation rolled back`);
        assert.equal((await ca.db('audit_log').where({ action: 'cert.reserve' })).length, 1);
      },
      { service: { workers } },
    );
  }
});
