import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDb } from '../../../platform/db/index.ts';
import { EventBus } from '../../../platform/events.ts';
import { silentLogger } from '../../../platform/log.ts';
import { isAppError } from '../../../platform/errors.ts';
import { verifyAuditDb } from '../../../platform/audit/index.ts';
import { CaService, type Grant } from '../../../ca/index.ts';
import { PG_URL } from '../../helpers/db.ts';
import { createTestCa, makeCsr, TEST_PASSPHRASE, type TestCa } from '../../helpers/pki.ts';

const grant = (g: Partial<Grant> = {}): Grant => ({ profile: 'device-tls', subject: { commonName: 'dev-9' }, sans: { dns: ['dev-9.example.com'] }, deviceId: 'dev-9', actor: 'test', ...g });
const code = (c: string) => (e: unknown) => isAppError(e) && e.code === c;

async function withCa(fn: (t: TestCa) => Promise<void>): Promise<void> {
  const t = await createTestCa();
  try {
    await fn(t);
  } finally {
    await t.cleanup();
  }
}

test('revoke: status turns revoked with the real reason, audited, event after commit', async () => {
  await withCa(async (t) => {
    const c = await t.ca.issue(makeCsr().csrDer, grant());
    assert.equal((await t.ca.status(c.issuerId, c.serial)).state, 'good');
    const seen: Array<{ state: string | undefined; reason: string }> = [];
    t.bus.subscribe('cert.revoked', async (p) => {
      // the change is committed when local subscribers hear about it
      seen.push({ state: (await t.db('ca_certificates').where({ serial: p.serial }).first())?.state, reason: p.reason });
    });
    const inv = new Date(Date.now() - 3_600_000);
    const r = await t.ca.revoke(c.serial.toUpperCase(), 'keyCompromise', { actor: 'admin:alice', invalidityDate: inv });
    assert.deepEqual({ ...r, revokedAt: undefined }, { issuerId: c.issuerId, serial: c.serial, reason: 'keyCompromise', deviceId: 'dev-9', revokedAt: undefined });
    const st = await t.ca.status(c.issuerId, c.serial);
    assert.equal(st.state, 'revoked');
    if (st.state === 'revoked') {
      assert.equal(st.reason, 'keyCompromise');
      assert.equal(st.revokedAt.getTime(), r.revokedAt.getTime());
      assert.equal(st.record.invalidityDate?.getTime(), Math.floor(inv.getTime() / 1000) * 1000);
    }
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(seen, [{ state: 'revoked', reason: 'keyCompromise' }]);
    const last = await t.db('audit_log').orderBy('seq', 'desc').first();
    assert.equal(last.action, 'cert.revoke');
    assert.equal(last.actor, 'admin:alice');
    assert.equal((await verifyAuditDb(t.db)).ok, true);
    await assert.rejects(t.ca.revoke(c.serial, 'superseded', { actor: 'x' }), code('ERR_ALREADY_REVOKED'));
    await assert.rejects(t.ca.revoke(c.serial, 'certificateHold', { actor: 'x' }), code('ERR_ALREADY_REVOKED'));
    assert.equal((await t.ca.statusOfCert(c.der)).state, 'revoked');
  });
});

test('certificateHold: released with removeFromCRL (hold_released_at), or escalated to keyCompromise', async () => {
  await withCa(async (t) => {
    const a = await t.ca.issue(makeCsr().csrDer, grant());
    await t.ca.revoke(a.serial, 'certificateHold', { actor: 'x' });
    const held = await t.ca.status(a.issuerId, a.serial);
    assert.ok(held.state === 'revoked' && held.reason === 'certificateHold');
    const events: string[] = [];
    t.bus.subscribe('cert.revoked', (p) => void events.push(p.reason));
    const rel = await t.ca.revoke(a.serial, 'removeFromCRL', { actor: 'x' });
    assert.equal(rel.reason, 'removeFromCRL');
    assert.equal((await t.ca.status(a.issuerId, a.serial)).state, 'good');
    const row = await t.db('ca_certificates').where({ serial: a.serial }).first();
    assert.ok(Number(row.hold_released_at) > 0);
    assert.equal(row.revoked_at, null);
    assert.deepEqual(events, ['removeFromCRL']);
    await assert.rejects(t.ca.revoke(a.serial, 'removeFromCRL', { actor: 'x' }), code('ERR_REVOCATION_REASON'));

    const b = await t.ca.issue(makeCsr().csrDer, grant());
    await t.ca.revoke(b.serial, 'certificateHold', { actor: 'x' });
    await t.ca.revoke(b.serial, 'keyCompromise', { actor: 'x' });
    const st = await t.ca.status(b.issuerId, b.serial);
    assert.ok(st.state === 'revoked' && st.reason === 'keyCompromise');
    await assert.rejects(t.ca.revoke(b.serial, 'removeFromCRL', { actor: 'x' }), code('ERR_REVOCATION_REASON'));
    await assert.rejects(t.ca.revoke(b.serial, 'keyCompromise', { actor: 'x' }), code('ERR_ALREADY_REVOKED'));
    const actions = (await t.db('audit_log').orderBy('seq')).map((r: { action: string }) => r.action).filter((x: string) => /revoke|release/.test(x));
    assert.deepEqual(actions, ['cert.revoke', 'cert.release', 'cert.revoke', 'cert.revoke']);
  });
});

test('revoke refuses bad reasons, unknown or malformed serials, future invalidity dates, missing actor', async () => {
  await withCa(async (t) => {
    const c = await t.ca.issue(makeCsr().csrDer, grant());
    await assert.rejects(t.ca.revoke(c.serial, 'because' as never, { actor: 'x' }), code('ERR_REVOCATION_REASON'));
    await assert.rejects(t.ca.revoke('0badc0ffee', 'keyCompromise', { actor: 'x' }), code('ERR_CERT_UNKNOWN'));
    await assert.rejects(t.ca.revoke('not-hex', 'keyCompromise', { actor: 'x' }), code('ERR_BAD_INPUT'));
    await assert.rejects(t.ca.revoke(c.serial, 'keyCompromise', { actor: 'x', invalidityDate: new Date(Date.now() + 86_400_000) }), code('ERR_BAD_INPUT'));
    await assert.rejects(t.ca.revoke(c.serial, 'keyCompromise', { actor: '' }), code('ERR_BAD_INPUT'));
    await assert.rejects(t.ca.revoke(c.serial, 'keyCompromise', { actor: 'x', issuerId: 'ffffffffffffffff' }), code('ERR_CERT_UNKNOWN'));
    assert.equal((await t.ca.status(c.issuerId, c.serial)).state, 'good');
  });
});

test('status is fail-closed: unknown issuer, unknown or malformed serial, reserved serial, foreign DER', async () => {
  await withCa(async (t) => {
    const c = await t.ca.issue(makeCsr().csrDer, grant());
    assert.deepEqual(await t.ca.status('0000000000000000', c.serial), { state: 'unknown' });
    assert.deepEqual(await t.ca.status(c.issuerId, '1234'), { state: 'unknown' });
    assert.deepEqual(await t.ca.status(c.issuerId, 'zz'), { state: 'unknown' });
    await t.db('ca_certificates').where({ serial: c.serial }).update({ state: 'reserved' });
    assert.deepEqual(await t.ca.status(c.issuerId, c.serial), { state: 'unknown' });
    await t.db('ca_certificates').where({ serial: c.serial }).update({ state: 'issued' });
    assert.equal((await t.ca.statusOfCert(c.der)).state, 'good');
    assert.deepEqual(await t.ca.statusOfCert(Buffer.from('garbage')), { state: 'unknown' });
    // same serial and issuer, different bytes (e.g. another TBS): not ours
    const forged = Buffer.from(c.der);
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
    assert.deepEqual(await t.ca.statusOfCert(forged), { state: 'unknown' });
    // a certificate from another CA
    const other = await createTestCa();
    try {
      const o = await other.ca.issue(makeCsr().csrDer, grant());
      assert.deepEqual(await t.ca.statusOfCert(o.der), { state: 'unknown' });
    } finally {
      await other.cleanup();
    }
  });
});

test('a reserved serial (never signed) can be revoked by serial and then reports revoked', async () => {
  await withCa(async (t) => {
    const c = await t.ca.issue(makeCsr().csrDer, grant());
    await t.db('ca_certificates').where({ serial: c.serial }).update({ state: 'reserved', der: null, fingerprint: null });
    const r = await t.ca.revoke(c.serial, 'cessationOfOperation', { actor: 'x' });
    assert.equal(r.issuerId, c.issuerId);
    const st = await t.ca.status(c.issuerId, c.serial);
    assert.ok(st.state === 'revoked' && st.reason === 'cessationOfOperation');
    const list = await t.ca.listCerts({ state: 'revoked', deviceId: 'dev-9' });
    assert.deepEqual(list.map((x) => x.serial), [c.serial]);
  });
});

test('store failures propagate as ERR_STORE_* from status, statusOfCert, getCert, revoke and issue', async () => {
  await withCa(async (t) => {
    const c = await t.ca.issue(makeCsr().csrDer, grant());
    // a second service on its own connection, which we then close
    const db2 = await createDb(t.t.dbOptions);
    const bus2 = new EventBus('n2', silentLogger());
    const ca2 = await CaService.open({ db: db2, audit: t.audit, bus: bus2, publicUrl: t.publicUrl, passphrase: TEST_PASSPHRASE, workers: 0 });
    assert.equal((await ca2.status(c.issuerId, c.serial)).state, 'good');
    await db2.destroy();
    const store = (e: unknown) => isAppError(e) && e.code.startsWith('ERR_STORE_');
    await assert.rejects(ca2.status(c.issuerId, c.serial), store);
    await assert.rejects(ca2.statusOfCert(c.der), store);
    await assert.rejects(ca2.getCert(c.issuerId, c.serial), store);
    await assert.rejects(ca2.revoke(c.serial, 'keyCompromise', { actor: 'x' }), store);
    await assert.rejects(ca2.issue(makeCsr().csrDer, grant()), store);
    await ca2.close();
    await bus2.close();
    assert.equal((await t.ca.status(c.issuerId, c.serial)).state, 'good', 'nothing changed');
  });
});

test('PostgreSQL: revocation is announced to other nodes through NOTIFY at commit', async (t) => {
  if (process.env.GATEHOUSE_TEST_DB !== 'pg') return t.skip('PostgreSQL only (GATEHOUSE_TEST_DB=pg)');
  await withCa(async (ca) => {
    const c = await ca.ca.issue(makeCsr().csrDer, grant());
    const other = new EventBus('other-node', silentLogger());
    await other.listen(PG_URL);
    try {
      const got = new Promise<string>((res) => other.subscribe('cert.revoked', (p) => (p.serial === c.serial ? res(p.reason) : undefined)));
      await ca.ca.revoke(c.serial, 'affiliationChanged', { actor: 'x' });
      assert.equal(await got, 'affiliationChanged');
    } finally {
      await other.close();
    }
  });
});
