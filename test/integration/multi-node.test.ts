/**
 * Several nodes on one PostgreSQL (issue #2): two `gatehouse serve` processes share a schema,
 * issue concurrently through their admin APIs, and revoke across nodes.
 * Asserts: no duplicate serials; CRL numbers unique and increasing with publication time;
 * a revocation made on node A shows in node B's OCSP answers within 2 s.
 * Always runs against PostgreSQL (pre-started on this machine kind), whatever GATEHOUSE_TEST_DB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { requireTool } from '../helpers/tools.ts';
import { cliJson, startServe, type Serving } from '../helpers/cli.ts';
import { opensslCsr, run, waitFor } from '../helpers/openssl.ts';
import { adminClient } from '../helpers/admin-api.ts';
import { PG_URL } from '../helpers/db.ts';

test('two nodes on one PostgreSQL: concurrent issuance, CRL numbering, cross-node revocation', { timeout: 240_000 }, async (t) => {
  const openssl = requireTool(t, 'openssl', 'openssl');
  if (!openssl) return;
  const dir = mkdtempSync(join(tmpdir(), 'gh-multi-'));
  const schema = `multi_${randomBytes(5).toString('hex')}`;
  const env = { GATEHOUSE_DB__URL: PG_URL, GATEHOUSE_DB__SCHEMA: schema, GATEHOUSE_CA__CRL__DEBOUNCE_MS: '50' };
  const g = ['-d', join(dir, 'data')];
  const nodes: Serving[] = [];
  const db = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema] });
  try {
    await cliJson([...g, 'init', '--dev', '--offline-dir', join(dir, 'offline')], env);
    const admin = await opensslCsr(dir, 'admin');
    const a = await cliJson<{ pem: string }>([...g, 'cert', 'issue', '--csr', admin.csr, '--profile', 'admin-client', '--cn', 'ops', '--email', 'ops@example.test'], env);
    nodes.push(await startServe(g, env), await startServe(g, env));
    const root = readFileSync(join(dir, 'data', 'ca', 'root.crt.pem'), 'utf8');
    const clients = nodes.map((n) => adminClient(n.addresses.api!, { ca: root, cert: a.pem, key: readFileSync(admin.key, 'utf8') }));
    const csrPem = readFileSync((await opensslCsr(dir, 'dev')).csr, 'utf8');

    const per = 40;
    const results = await Promise.all(
      clients.flatMap((c, n) => Array.from({ length: per }, (_, i) => c.call<{ serial: string; issuerId: string; certificate: string }>('POST', '/api/v1/certificates', { csr: csrPem, profile: 'device-tls', subject: { commonName: `dev-${n}-${i}` } }))),
    );
    for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
    const serials = results.map((r) => r.body.serial);
    assert.equal(new Set(serials).size, serials.length, 'no duplicate serials across nodes');
    const rows = await db('ca_certificates').where({ state: 'issued', profile: 'device-tls' }).count({ n: '*' }).first();
    assert.equal(Number(rows!.n), 2 * per);

    // revoke a few on node A (each revocation triggers debounced CRL rebuilds on BOTH nodes)
    const victims = results.slice(0, 5).map((r) => r.body);
    for (const v of victims) assert.equal((await clients[0]!.call('POST', `/api/v1/certificates/${v.serial}/revoke`, { reason: 'keyCompromise' })).status, 200);
    const leaf = join(dir, 'victim.pem');
    const issuing = join(dir, 'issuing.pem');
    writeFileSync(leaf, victims[4]!.certificate);
    const issuer = (await db('ca_issuers').where({ id: victims[4]!.issuerId }).first()) as { cert_der: Buffer };
    writeFileSync(issuing, `-----BEGIN CERTIFICATE-----\n${Buffer.from(issuer.cert_der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`);
    writeFileSync(join(dir, 'chain.pem'), readFileSync(issuing, 'utf8') + root);
    const onB = await waitFor(async () => /victim.pem: revoked/.test((await run(openssl, ['ocsp', '-issuer', issuing, '-cert', leaf, '-url', `${nodes[1]!.addresses.http}/ocsp`, '-CAfile', join(dir, 'chain.pem'), '-no_nonce'])).out), 2_000, 100);
    assert.ok(onB, "node B's OCSP says revoked within 2 s of node A's revocation");

    await waitFor(async () => Number(((await db('ca_crls').count({ n: '*' }).first()) as { n: string }).n) >= 4, 10_000, 200);
    const crls = (await db('ca_crls').select('number', 'this_update', 'delta').orderBy('number')) as Array<{ number: string; this_update: string }>;
    const numbers = crls.map((c) => Number(c.number));
    assert.equal(new Set(numbers).size, numbers.length, 'CRL numbers are unique');
    for (let i = 1; i < crls.length; i++) assert.ok(Number(crls[i]!.this_update) >= Number(crls[i - 1]!.this_update), 'a higher CRL number is never older');
    for (const c of clients) c.close();
  } finally {
    for (const n of nodes) await n.stop();
    await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]).catch(() => undefined);
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
