import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { verifyAuditDb } from '../../../platform/audit/index.ts';
import { createTestCa, type TestCa } from '../../helpers/pki.ts';

const CHILD = fileURLToPath(new URL('../../fixtures/ca/issue-child.ts', import.meta.url));

/** Starts the child, waits until `ready(stdout so far)` is true, SIGKILLs it, returns its stdout. */
async function runAndKill(t: TestCa, mode: 'hang' | 'burst', ready: (out: string) => boolean): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, JSON.stringify(t.t.dbOptions), t.passphrase, t.publicUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child not ready: ${out} ${err}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`child exited early: ${err}`)));
  });
  child.kill('SIGKILL');
  await exited;
  return out;
}

test('SIGKILL after the reservation: the serial stays reserved (status unknown) and is revocable', async () => {
  const t = await createTestCa();
  try {
    const out = await runAndKill(t, 'hang', (o) => /reserved \S+ \S+\n/.test(o));
    const [, issuerId, serial] = /reserved (\S+) (\S+)/.exec(out) as RegExpExecArray;
    const rec = await t.ca.getCert(issuerId as string, serial as string);
    assert.equal(rec?.state, 'reserved');
    assert.equal(rec?.der, null);
    assert.equal(rec?.deviceId, 'crash-0');
    assert.deepEqual(await t.ca.status(issuerId as string, serial as string), { state: 'unknown' });
    const intent = await t.db('audit_log').where({ action: 'cert.reserve', target: `${issuerId}:${serial}` });
    assert.equal(intent.length, 1, 'the audit intent committed with the reservation');
    const r = await t.ca.revoke(serial as string, 'keyCompromise', { actor: 'admin' });
    assert.equal(r.issuerId, issuerId);
    const st = await t.ca.status(issuerId as string, serial as string);
    assert.ok(st.state === 'revoked' && st.reason === 'keyCompromise');
    assert.equal((await verifyAuditDb(t.db)).ok, true);
  } finally {
    await t.cleanup();
  }
});

test('SIGKILL in the middle of a burst: every serial is either stored or still reserved, and the audit matches', async () => {
  const t = await createTestCa();
  try {
    const out = await runAndKill(t, 'burst', (o) => (o.match(/^issued /gm)?.length ?? 0) >= 100);
    const returned = new Set([...out.matchAll(/^issued (\S+)$/gm)].map((m) => m[1]));
    const rows = (await t.db('ca_certificates').select('issuer_id', 'serial', 'state', 'der', 'fingerprint')) as Array<{ issuer_id: string; serial: string; state: string; der: Buffer | null; fingerprint: string | null }>;
    const audit = (await t.db('audit_log').select('action', 'target')) as Array<{ action: string; target: string }>;
    const reserveAudit = new Set(audit.filter((a) => a.action === 'cert.reserve').map((a) => a.target));
    const issueAudit = new Set(audit.filter((a) => a.action === 'cert.issue').map((a) => a.target));
    assert.ok(rows.length >= returned.size);
    for (const r of rows) {
      const key = `${r.issuer_id}:${r.serial}`;
      assert.ok(r.state === 'issued' || r.state === 'reserved', r.state);
      assert.ok(reserveAudit.has(key), `no cert.reserve for ${key}`);
      if (r.state === 'issued') {
        assert.ok(r.der && r.fingerprint, 'issued rows carry their DER');
        assert.ok(issueAudit.has(key), `no cert.issue for ${key}`);
      } else {
        assert.equal(r.der, null);
        assert.ok(!issueAudit.has(key));
      }
    }
    for (const s of returned) assert.equal(rows.find((r) => r.serial === s)?.state, 'issued', 'a returned certificate was stored');
    assert.equal(reserveAudit.size, rows.length, 'no audit intent without its row');
    assert.equal((await verifyAuditDb(t.db)).ok, true);
    for (const r of rows.filter((x) => x.state === 'reserved')) await t.ca.revoke(r.serial, 'cessationOfOperation', { actor: 'admin', issuerId: r.issuer_id });
  } finally {
    await t.cleanup();
  }
});
