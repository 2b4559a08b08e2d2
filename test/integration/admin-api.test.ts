/**
 * The admin API over mutual TLS against a real `gatehouse serve` (SQLite or PostgreSQL):
 * authentication (none / foreign / revoked-while-connected), inventory CRUD and lifecycle,
 * bulk import errors per row, tokens, certificate issue and revoke, and the evidence report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { requireTool } from '../helpers/tools.ts';
import { cliJson, startServe, type Serving } from '../helpers/cli.ts';
import { opensslCsr, run } from '../helpers/openssl.ts';
import { adminClient } from '../helpers/admin-api.ts';
import { PG_URL, testDbKind } from '../helpers/db.ts';
import { request } from 'node:https';

test('admin API: auth, inventory, lifecycle, certificates, evidence', { timeout: 180_000 }, async (t) => {
  const openssl = requireTool(t, 'openssl', 'openssl');
  if (!openssl) return;
  const dir = mkdtempSync(join(tmpdir(), 'gh-api-'));
  const env: Record<string, string> = testDbKind() === 'pg' ? { GATEHOUSE_DB__URL: PG_URL, GATEHOUSE_DB__SCHEMA: `api_${randomBytes(5).toString('hex')}` } : {};
  const g = ['-d', join(dir, 'data')];
  let node: Serving | undefined;
  try {
    await cliJson([...g, 'init', '--dev', '--offline-dir', join(dir, 'offline')], env);
    const k = await opensslCsr(dir, 'admin');
    const adm = await cliJson<{ pem: string; serial: string }>([...g, 'cert', 'issue', '--csr', k.csr, '--profile', 'admin-client', '--cn', 'alice', '--email', 'alice@example.test'], env);
    const k2 = await opensslCsr(dir, 'dev');
    const notAdmin = await cliJson<{ pem: string }>([...g, 'cert', 'issue', '--csr', k2.csr, '--profile', 'device-tls', '--cn', 'not-an-admin'], env);
    node = await startServe(g, env);
    const base = node.addresses.api!;
    const root = readFileSync(join(dir, 'data', 'ca', 'root.crt.pem'), 'utf8');
    const api = adminClient(base, { ca: root, cert: adm.pem, key: readFileSync(k.key, 'utf8') });

    // authentication
    const bare = await new Promise<number>((resolve, reject) => {
      request(new URL('/api/v1/whoami', base), { ca: root, servername: 'localhost' }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(bare, 401);
    const wrong = adminClient(base, { ca: root, cert: notAdmin.pem, key: readFileSync(k2.key, 'utf8') });
    assert.equal((await wrong.call('GET', '/api/v1/whoami')).status, 403, 'a device certificate is not an admin');
    wrong.close();
    const self = await run(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'f.key'), '-out', join(dir, 'f.pem'), '-subj', '/CN=mallory', '-days', '1']);
    assert.equal(self.code, 0);
    const foreign = adminClient(base, { ca: root, cert: readFileSync(join(dir, 'f.pem'), 'utf8'), key: readFileSync(join(dir, 'f.key'), 'utf8') });
    const fr = await foreign.call<{ error: string }>('GET', '/api/v1/whoami').catch(() => ({ status: 0, body: { error: 'tls' } }));
    assert.ok(fr.status === 403 || fr.status === 0, `foreign cert refused (${fr.status})`);
    foreign.close();
    assert.deepEqual((await api.call('GET', '/api/v1/whoami')).body, { email: 'alice@example.test', serial: adm.serial, actor: 'admin:alice@example.test' });

    // inventory
    assert.equal((await api.call('PUT', '/api/v1/segments/cameras', { vlanId: 110, description: 'IP cameras' })).status, 200);
    const add = await api.call('POST', '/api/v1/devices', { id: 'cam-1', name: 'Lobby', function: 'camera', owner: 'fac', segment: 'cameras', macs: ['00:11:22:33:44:01'], firmwareVersion: '1.0' });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    const bad = await api.call<{ error: string; detail: { issues: unknown[] } }>('POST', '/api/v1/devices', { id: 'cam 2', name: '', function: 'camera', owner: 'fac', segment: 'cameras' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'ERR_BAD_INPUT');
    assert.equal((await api.call('POST', '/api/v1/devices/cam-1/token')).status, 409, 'no token before approval');
    assert.equal((await api.call('POST', '/api/v1/devices/cam-1/approve')).status, 200);
    const tok = await api.call<{ token: string }>('POST', '/api/v1/devices/cam-1/token');
    assert.equal(tok.status, 201);
    assert.match(tok.body.token, /^[0-9a-f]{48}$/);
    const ghost = await api.call<{ error: string }>('GET', '/api/v1/devices/ghost');
    assert.equal(ghost.status, 404);

    // a certificate for the device, then retire it: revocation + evidence
    const csr = readFileSync(k2.csr, 'utf8');
    const c = await api.call<{ serial: string }>('POST', '/api/v1/certificates', { csr, profile: 'device-tls', subject: { commonName: 'cam-1' }, sans: { uri: ['urn:gatehouse:device:cam-1'] }, deviceId: 'cam-1' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    for (const body of [
      { csr, profile: 'ocsp-responder', subject: { commonName: 'rogue responder' } },
      { csr, profile: 'scep-ra', subject: { commonName: 'rogue ra' } },
      { csr, profile: 'admin-client', subject: { commonName: 'mallory' }, sans: { email: ['mallory@example.test'] } },
    ]) {
      const r = await api.call<{ error: string }>('POST', '/api/v1/certificates', body);
      assert.equal(r.status, 403, `${body.profile} must not be issued through the API`);
    }
    const junk = await api.call<{ error: string }>('POST', '/api/v1/certificates', { csr: 'AAAA', profile: 'device-tls', subject: { commonName: 'x' } });
    assert.equal(junk.status, 400);
    assert.equal(junk.body.error, 'ERR_CSR_MALFORMED');
    assert.equal((await api.call('GET', '/api/v1/devices/%E0%A4%A')).status, 400, 'malformed percent-encoding is a 400, not a 500');
    const ret = await api.call<{ revoked: string[] }>('POST', '/api/v1/devices/cam-1/retire');
    assert.equal(ret.status, 200);
    assert.equal(ret.body.revoked.length, 1);
    const st = await api.call<{ state: string; revocationReason: string }>('GET', `/api/v1/certificates/${c.body.serial}`);
    assert.equal(st.body.state, 'revoked');
    assert.equal(st.body.revocationReason, 'cessationOfOperation');
    const ev = await api.call<{ inventory: { total: number; byState: Record<string, number> }; containment: { cases: Array<{ deviceId: string; action: string; revokedAfterMs: number }> }; audit: { ok: boolean } }>('GET', '/api/v1/evidence');
    assert.equal(ev.status, 200);
    assert.equal(ev.body.inventory.byState.retired, 1);
    assert.equal(ev.body.containment.cases[0]?.deviceId, 'cam-1');
    assert.equal(ev.body.containment.cases[0]?.action, 'retire');
    assert.ok(ev.body.containment.cases[0]!.revokedAfterMs >= 0);
    assert.equal(ev.body.audit.ok, true);

    // revoking the admin's own certificate locks it out on the SAME keep-alive connection
    const self2 = await api.call('POST', `/api/v1/certificates/${adm.serial}/revoke`, { reason: 'affiliationChanged' });
    assert.equal(self2.status, 200);
    const after = await api.call<{ error: string }>('GET', '/api/v1/whoami');
    assert.equal(after.status, 403);
    assert.equal(after.body.error, 'ERR_CERT_REVOKED');
    api.close();
  } finally {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
