import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toPem } from '../../../ca/asn1/index.ts';
import { CaService, registerIssuer, retireExpired, type Grant } from '../../../ca/index.ts';
import { isAppError } from '../../../platform/errors.ts';
import { createTestCa, makeCsr, TEST_PASSPHRASE } from '../../helpers/pki.ts';
import { requireTool } from '../../helpers/tools.ts';

const grant = (g: Partial<Grant> = {}): Grant => ({ profile: 'device-tls', subject: { commonName: 'dev-r' }, actor: 'test', ...g });
const code = (c: string) => (e: unknown) => isAppError(e) && e.code === c;

test('rollover: the new issuer is active, the old one retiring, certificates of both keep their status', async () => {
  const t = await createTestCa();
  try {
    const oldId = t.issuer.record.id;
    const a = await t.ca.issue(makeCsr().csrDer, grant());
    const fresh = await t.addIssuer();
    assert.notEqual(fresh.record.id, oldId);
    assert.equal(t.ca.activeIssuer().record.id, fresh.record.id);
    assert.deepEqual(t.ca.issuers().map((i) => [i.record.id, i.record.status]), [[fresh.record.id, 'active'], [oldId, 'retiring']]);
    const statuses = Object.fromEntries((await t.db('ca_issuers').select('id', 'status')).map((r: { id: string; status: string }) => [r.id, r.status]));
    assert.deepEqual(statuses, { [oldId]: 'retiring', [fresh.record.id]: 'active' });
    const b = await t.ca.issue(makeCsr().csrDer, grant());
    assert.equal(b.issuerId, fresh.record.id);
    assert.deepEqual(b.chain, [fresh.record.certDer]);
    assert.equal((await t.ca.status(oldId, a.serial)).state, 'good');
    assert.equal((await t.ca.status(b.issuerId, b.serial)).state, 'good');
    assert.equal((await t.ca.statusOfCert(a.der)).state, 'good');
    assert.equal((await t.ca.statusOfCert(b.der)).state, 'good');
    // a retiring issuer can still be named explicitly (drills) and still revokes
    const c = await t.ca.issue(makeCsr().csrDer, grant({ issuerId: oldId }));
    assert.equal(c.issuerId, oldId);
    assert.ok(new X509Certificate(c.der).verify(new X509Certificate(t.issuer.record.certDer).publicKey));
    await t.ca.revoke(a.serial, 'superseded', { actor: 'x' });
    assert.equal((await t.ca.statusOfCert(a.der)).state, 'revoked');
    await assert.rejects(t.ca.issue(makeCsr().csrDer, grant({ issuerId: 'ffffffffffffffff' })), code('ERR_ISSUER_UNAVAILABLE'));

    // retirement waits for the last certificate of the old issuer to expire
    assert.deepEqual(await retireExpired(t.db, t.audit, new Date()), []);
    const after = new Date(Math.max(a.notAfter.getTime(), c.notAfter.getTime()) + 1000);
    assert.deepEqual(await retireExpired(t.db, t.audit, after), [oldId]);
    await t.ca.reload();
    assert.deepEqual(t.ca.issuers().map((i) => i.record.id), [fresh.record.id]);
    assert.deepEqual(await t.ca.status(oldId, a.serial), { state: 'unknown' });
    const audit = (await t.db('audit_log').select('action', 'target')).filter((r: { action: string }) => r.action.startsWith('ca.issuer'));
    assert.deepEqual(audit.map((r: { action: string }) => r.action), ['ca.issuer.register', 'ca.issuer.status', 'ca.issuer.register', 'ca.issuer.status']);
  } finally {
    await t.cleanup();
  }
});

test('registration refuses duplicates, non-CA certificates, broken chains and wrong passphrases', async () => {
  const t = await createTestCa();
  try {
    const rec = t.issuer.record;
    await assert.rejects(registerIssuer(t.db, t.audit, { certDer: rec.certDer, chainDer: rec.chainDer, keyFile: rec.keyFile, actor: 'x' }), code('ERR_CONFLICT'));
    const leaf = await t.ca.issue(makeCsr().csrDer, grant());
    await assert.rejects(registerIssuer(t.db, t.audit, { certDer: leaf.der, chainDer: [rec.certDer, ...rec.chainDer], keyFile: rec.keyFile, actor: 'x' }), code('ERR_BAD_INPUT'));
    const other = await createTestCa();
    try {
      const o = other.issuer.record;
      await assert.rejects(registerIssuer(t.db, t.audit, { certDer: o.certDer, chainDer: rec.chainDer, keyFile: o.keyFile, actor: 'x' }), code('ERR_BAD_INPUT'));
      await assert.rejects(registerIssuer(t.db, t.audit, { certDer: o.certDer, chainDer: o.chainDer, keyFile: o.keyFile, actor: 'x', passphrase: 'wrong passphrase!' }), code('ERR_KEY_LOCKED'));
      await assert.rejects(registerIssuer(t.db, t.audit, { certDer: o.certDer, chainDer: o.chainDer, keyFile: rec.keyFile, actor: 'x', passphrase: TEST_PASSPHRASE }), code('ERR_KEY_LOCKED'));
    } finally {
      await other.cleanup();
    }
    await assert.rejects(CaService.open({ db: t.db, audit: t.audit, bus: t.bus, publicUrl: t.publicUrl, passphrase: 'not the passphrase', workers: 0 }), code('ERR_KEY_LOCKED'));
    assert.equal((await t.db('ca_issuers')).length, 1);
  } finally {
    await t.cleanup();
  }
});

test('issuer id and OCSP CertID hashes match what openssl puts in an OCSP request', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const ca = await createTestCa();
  const dir = mkdtempSync(join(tmpdir(), 'gh-iss-'));
  try {
    const i = ca.issuer;
    const x = new X509Certificate(i.record.certDer);
    const spki = x.publicKey.export({ type: 'spki', format: 'der' });
    assert.equal(i.record.id, createHash('sha256').update(spki).digest('hex').slice(0, 16));
    const leaf = await ca.ca.issue(makeCsr().csrDer, grant());
    writeFileSync(join(dir, 'int.pem'), toPem('CERTIFICATE', i.record.certDer));
    writeFileSync(join(dir, 'leaf.pem'), toPem('CERTIFICATE', leaf.der));
    for (const alg of ['sha1', 'sha256'] as const) {
      execFileSync('openssl', ['ocsp', '-issuer', join(dir, 'int.pem'), `-${alg}`, '-cert', join(dir, 'leaf.pem'), '-no_nonce', '-reqout', join(dir, 'req.der')]);
      const text = execFileSync('openssl', ['ocsp', '-reqin', join(dir, 'req.der'), '-req_text'], { encoding: 'utf8' });
      const nameHash = /Issuer Name Hash: ([0-9A-F]+)/.exec(text)?.[1]?.toLowerCase();
      const keyHash = /Issuer Key Hash: ([0-9A-F]+)/.exec(text)?.[1]?.toLowerCase();
      assert.equal(i.nameHash[alg].toString('hex'), nameHash, `${alg} name hash`);
      assert.equal(i.keyHash[alg].toString('hex'), keyHash, `${alg} key hash`);
      assert.match(text, new RegExp(`Serial Number: 0?${leaf.serial.toUpperCase()}\\b`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await ca.cleanup();
  }
});
