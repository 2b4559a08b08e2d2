/** Shared helpers for the issuance tests (database-backed). */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, auditMigrations } from '../../../platform/audit/index.ts';
import { createDb, migrate, type Db } from '../../../platform/db/index.ts';
import { EventBus } from '../../../platform/events.ts';
import { silentLogger } from '../../../platform/log.ts';
import { toPem } from '../../../ca/asn1/index.ts';
import { caMigrations, type Grant } from '../../../ca/index.ts';
import { PG_URL, testDbKind } from '../../helpers/db.ts';
import { createTestCa, createTestPki, type TestCa, type TestPki } from '../../helpers/pki.ts';

export const grant = (g: Partial<Grant> = {}): Grant => ({
  profile: 'device-tls',
  subject: { commonName: 'dev-7', organization: 'Acme' },
  sans: { dns: ['dev-7.example.com'], ip: ['192.0.2.7'] },
  deviceId: 'dev-7',
  actor: 'test:issue',
  ...g,
});

export async function withCa<T>(fn: (t: TestCa) => Promise<T>, opts: Parameters<typeof createTestCa>[0] = {}): Promise<T> {
  const t = await createTestCa(opts);
  try {
    return await fn(t);
  } finally {
    await t.cleanup();
  }
}

export function nothingWritten(t: TestCa): Promise<void> {
  return nothingWrittenIn(t.db);
}

export function writeChain(dir: string, t: TestCa, leaf: Buffer): { root: string; int: string; leaf: string } {
  const f = { root: join(dir, 'root.pem'), int: join(dir, 'int.pem'), leaf: join(dir, 'leaf.pem') };
  writeFileSync(f.root, toPem('CERTIFICATE', t.rootCertDer));
  writeFileSync(f.int, toPem('CERTIFICATE', t.issuer.record.certDer));
  writeFileSync(f.leaf, toPem('CERTIFICATE', leaf));
  return f;
}


/**
 * A CA whose store gives up on locks after 50 ms: SQLite busy_timeout 50, PostgreSQL
 * lock_timeout 50ms (URL options). `signed` counts issuing-key signatures.
 */
export async function withImpatientCa(fn: (t: TestPki & { db: Db; kind: 'pg' | 'sqlite'; file: string; signed: () => number }) => Promise<void>): Promise<void> {
  const kind = testDbKind();
  const dir = mkdtempSync(join(tmpdir(), 'gh-impatient-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const file = join(dir, 'gatehouse.sqlite');
  const url = kind === 'pg' ? `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20lock_timeout%3D50` : undefined;
  const db = await createDb({ url, schema: kind === 'pg' ? schema : undefined, sqlitePath: file, busyTimeoutMs: 50, poolMax: 4 });
  const bus = new EventBus('test', silentLogger());
  let pki: TestPki | undefined;
  try {
    await migrate(db, [...auditMigrations, ...caMigrations]);
    const audit = new AuditLog(db, { nodeId: 'test', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, keyId: 'test-audit', checkpointEvery: 1000, checkpointMinutes: 10 });
    await audit.init();
    pki = await createTestPki({ db, audit, bus });
    let n = 0;
    const signer = pki.issuer.signer as { sign: (d: Buffer) => Buffer };
    const orig = signer.sign.bind(signer);
    signer.sign = (d) => (n++, orig(d));
    await fn({ ...pki, db, kind, file, signed: () => n });
  } finally {
    await pki?.cleanup();
    await bus.close();
    if (kind === 'pg') await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]).catch(() => undefined);
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function nothingWrittenIn(db: Db): Promise<void> {
  assert.equal((await db('ca_certificates')).length, 0, 'no certificate row');
  const certAudit = (await db('audit_log').select('action')).filter((r: { action: string }) => r.action.startsWith('cert.'));
  assert.deepEqual(certAudit, [], 'no cert.* audit entry');
}
