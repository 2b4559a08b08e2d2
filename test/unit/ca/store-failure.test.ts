/**
 * Issue #2: a locked or full database gives a clear error with Retry-After and nothing
 * half-written; a failing caller in a group leaves the others alone; a serial revoked while
 * reserved stays revoked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { isAppError } from '../../../platform/errors.ts';
import type { Grant } from '../../../ca/index.ts';
import { createTestCa, makeCsr } from '../../helpers/pki.ts';
import { nothingWrittenIn, withImpatientCa } from './issue-helpers.ts';

const grant: Grant = { profile: 'device-tls', subject: { commonName: 'dev-s' }, deviceId: 'dev-s', actor: 'test' };
const storeErr = (e: unknown) => isAppError(e) && e.code.startsWith('ERR_STORE_');

test('store step fails after the reservation: ERR_STORE_*, the serial stays reserved, nothing half-written', async () => {
  let sabotage: (() => Promise<void>) | null = null;
  const t = await createTestCa({ service: { hooks: { afterReserve: async () => sabotage?.() } } });
  try {
    sabotage = () => t.db.schema.renameTable('ca_certificates', 'ca_certificates_away');
    await assert.rejects(t.ca.issue(makeCsr().csrDer, grant), storeErr);
    await t.db.schema.renameTable('ca_certificates_away', 'ca_certificates');
    sabotage = null;
    const rows = await t.db('ca_certificates');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].state, 'reserved');
    assert.equal(rows[0].der, null);
    const actions = (await t.db('audit_log').select('action')).map((r: { action: string }) => r.action).filter((a: string) => a.startsWith('cert.'));
    assert.deepEqual(actions, ['cert.reserve'], 'no cert.issue without the stored DER');
    // the CA keeps working, and the orphan serial is revocable
    const ok = await t.ca.issue(makeCsr().csrDer, grant);
    assert.equal((await t.ca.status(ok.issuerId, ok.serial)).state, 'good');
    await t.ca.revoke(rows[0].serial, 'cessationOfOperation', { actor: 'admin' });
  } finally {
    await t.cleanup();
  }
});

test('reserve step fails (audit table gone): ERR_STORE_*, no certificate row, nothing signed', async () => {
  const t = await createTestCa();
  try {
    const signer = t.issuer.signer;
    let signed = 0;
    const orig = signer.sign.bind(signer);
    (signer as { sign: (d: Buffer) => Buffer }).sign = (d) => {
      signed++;
      return orig(d);
    };
    await t.db.schema.renameTable('audit_log', 'audit_log_away');
    await assert.rejects(t.ca.issue(makeCsr().csrDer, grant), storeErr);
    await t.db.schema.renameTable('audit_log_away', 'audit_log');
    assert.equal((await t.db('ca_certificates')).length, 0, 'the reservation rolled back with its audit entry');
    assert.equal(signed, 0, 'nothing was signed');
    const c = await t.ca.issue(makeCsr().csrDer, grant);
    assert.equal(signed, 1);
    assert.equal((await t.ca.getCert(c.issuerId, c.serial))?.state, 'issued');
  } finally {
    await t.cleanup();
  }
});

test('a failing caller in a group does not fail the others', async () => {
  let poison: string | null = null;
  const t = await createTestCa({
    service: {
      hooks: {
        afterReserve: async (_i, serial) => {
          if (poison === null) {
            poison = serial;
            // make this serial's store step fail: markIssued finds no reserved row
            await t.db('ca_certificates').where({ serial }).update({ state: 'issued', der: Buffer.from([0]) });
          }
        },
      },
    },
  });
  try {
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => t.ca.issue(makeCsr().csrDer, grant)));
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 1);
    assert.ok(isAppError((failed[0] as PromiseRejectedResult).reason, 'ERR_CONFLICT'));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 19);
    assert.equal((await t.db('ca_certificates').where({ state: 'issued' })).length, 20);
    assert.equal((await t.db('audit_log').where({ action: 'cert.issue' })).length, 19);
  } finally {
    await t.cleanup();
  }
});

test('a serial revoked while still reserved stays revoked: the DER is kept, the caller gets ERR_CERT_REVOKED', async () => {
  let revokeNow = true;
  const t = await createTestCa({
    service: {
      hooks: {
        afterReserve: async (issuerId, serial) => {
          if (!revokeNow) return;
          revokeNow = false;
          await t.ca.revoke(serial, 'keyCompromise', { actor: 'admin', issuerId });
        },
      },
    },
  });
  try {
    await assert.rejects(t.ca.issue(makeCsr().csrDer, grant), (e) => isAppError(e, 'ERR_CERT_REVOKED'));
    const row = await t.db('ca_certificates').first();
    assert.equal(row.state, 'revoked');
    assert.equal(row.revocation_reason, 'keyCompromise');
    assert.ok(row.der && row.fingerprint, 'the signed DER is kept for the record');
  } finally {
    await t.cleanup();
  }
});

test('database locked by another writer: ERR_STORE_BUSY with Retry-After 1, nothing written or signed', async () => {
  await withImpatientCa(async (t) => {
    // another process holds the write lock (SQLite BEGIN IMMEDIATE; PostgreSQL the audit head)
    let release: () => Promise<void>;
    if (t.kind === 'sqlite') {
      const other = new Database(t.file);
      other.exec('BEGIN IMMEDIATE');
      release = async () => void (other.exec('ROLLBACK'), other.close());
    } else {
      const other = await t.db.transaction();
      await other.raw('LOCK TABLE audit_head IN EXCLUSIVE MODE');
      release = async () => void (await other.rollback());
    }
    try {
      await assert.rejects(t.ca.issue(makeCsr().csrDer, grant), (e) => isAppError(e, 'ERR_STORE_BUSY') && e.retryAfter === 1);
    } finally {
      await release();
    }
    await nothingWrittenIn(t.db);
    assert.equal(t.signed(), 0, 'nothing signed');
    const ok = await t.ca.issue(makeCsr().csrDer, grant);
    assert.equal((await t.ca.status(ok.issuerId, ok.serial)).state, 'good', 'works again once the lock is gone');
  });
});

test('database full: ERR_STORE_FULL with Retry-After 30, nothing written or signed', { skip: process.env.GATEHOUSE_TEST_DB === 'pg' ? 'SQLite only (max_page_count)' : false }, async () => {
  await withImpatientCa(async (t) => {
    // no free page left, and the file may not grow: the reservation needs new pages
    await t.db.raw('VACUUM');
    const pages = Number((((await t.db.raw('PRAGMA page_count')) as Array<{ page_count: number }>)[0] as { page_count: number }).page_count);
    await t.db.raw(`PRAGMA max_page_count = ${pages}`);
    const big: Grant = { ...grant, sans: { dns: Array.from({ length: 80 }, (_, i) => `device-${i}.${'x'.repeat(50)}.example.com`) } };
    await assert.rejects(t.ca.issue(makeCsr().csrDer, big), (e) => isAppError(e, 'ERR_STORE_FULL') && e.retryAfter === 30);
    await nothingWrittenIn(t.db);
    assert.equal(t.signed(), 0, 'nothing signed');
    await t.db.raw('PRAGMA max_page_count = 1073741823');
    const ok = await t.ca.issue(makeCsr().csrDer, big);
    assert.equal((await t.ca.status(ok.issuerId, ok.serial)).state, 'good', 'works again once there is room');
  });
});
