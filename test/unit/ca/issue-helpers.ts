/** Shared helpers for the issuance tests (database-backed). */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toPem } from '../../../ca/asn1/index.ts';
import type { Grant } from '../../../ca/index.ts';
import { createTestCa, type TestCa } from '../../helpers/pki.ts';

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

export async function nothingWritten(t: TestCa): Promise<void> {
  assert.equal((await t.db('ca_certificates')).length, 0, 'no certificate row');
  const certAudit = (await t.db('audit_log').select('action')).filter((r: { action: string }) => r.action.startsWith('cert.'));
  assert.deepEqual(certAudit, [], 'no cert.* audit entry');
}

export function writeChain(dir: string, t: TestCa, leaf: Buffer): { root: string; int: string; leaf: string } {
  const f = { root: join(dir, 'root.pem'), int: join(dir, 'int.pem'), leaf: join(dir, 'leaf.pem') };
  writeFileSync(f.root, toPem('CERTIFICATE', t.rootCertDer));
  writeFileSync(f.int, toPem('CERTIFICATE', t.issuer.record.certDer));
  writeFileSync(f.leaf, toPem('CERTIFICATE', leaf));
  return f;
}

