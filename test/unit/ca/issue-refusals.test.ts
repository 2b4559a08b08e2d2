import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { basicConstraints, subjectKeyId, type CertExtension } from '../../../ca/extensions.ts';
import type { Grant } from '../../../ca/index.ts';
import { isAppError } from '../../../platform/errors.ts';
import { makeCsr } from '../../helpers/pki.ts';
import { requireTool } from '../../helpers/tools.ts';
import { grant, nothingWritten, withCa } from './issue-helpers.ts';

const badInputs: Array<[string, () => Buffer | Promise<Buffer>, string, Partial<Grant>?]> = [
  ['malformed DER', () => Buffer.from('this is not a certification request'), 'ERR_CSR_MALFORMED'],
  ['truncated DER', () => makeCsr().csrDer.subarray(0, 100), 'ERR_CSR_MALFORMED'],
  ['trailing garbage after the DER', () => Buffer.concat([makeCsr().csrDer, Buffer.from([0, 0])]), 'ERR_CSR_MALFORMED'],
  // 0x30 fill would be malformed: TOO_LARGE proves the size check comes before any parsing
  ['a CSR over 64 KiB, refused before parsing', () => Buffer.alloc(64 * 1024 + 1, 0x30), 'ERR_CSR_TOO_LARGE'],
  [
    'a bad signature',
    () => {
      const d = Buffer.from(makeCsr().csrDer);
      d[d.length - 5] = (d[d.length - 5] as number) ^ 0x01;
      return d;
    },
    'ERR_CSR_SIGNATURE',
  ],
  ['an RSA-1024 key', () => makeCsr('RSA-1024').csrDer, 'ERR_KEY_POLICY'],
  ['an RSA key with e = 3', () => makeCsr('RSA-e3').csrDer, 'ERR_KEY_POLICY'],
  ['a CA:TRUE request', () => makeCsr('P-256', { extensions: [basicConstraints(true, 0)] }).csrDer, 'ERR_CSR_POLICY'],
  [
    'duplicate extensions',
    () => {
      const e: CertExtension = subjectKeyId(Buffer.alloc(20, 1));
      return makeCsr('P-256', { extensions: [e, e] }).csrDer;
    },
    'ERR_CSR_POLICY',
  ],
  ['control characters in the grant subject', () => makeCsr().csrDer, 'ERR_PROFILE_POLICY', { subject: { commonName: 'dev-7\r\nX-Injected: 1' } }],
  ['control characters in a grant SAN', () => makeCsr().csrDer, 'ERR_PROFILE_POLICY', { sans: { dns: ['dev-7\u0000.example.com'] } }],
  ['bidi override in the grant subject', () => makeCsr().csrDer, 'ERR_PROFILE_POLICY', { subject: { commonName: 'dev\u202egpj.exe' } }],
  ['an unknown profile', () => makeCsr().csrDer, 'ERR_PROFILE_UNKNOWN', { profile: 'root-ca' }],
  ['a key type the profile refuses (scep-ra wants RSA)', () => makeCsr('P-256').csrDer, 'ERR_KEY_POLICY', { profile: 'scep-ra', subject: { commonName: 'RA' }, sans: undefined }],
];

for (const [name, csr, code, g] of badInputs) {
  test(`refuses ${name} (${code}) and writes nothing`, async () => {
    await withCa(async (ca) => {
      await assert.rejects(ca.ca.issue(await csr(), grant(g)), (e) => isAppError(e) && e.code === code);
      await nothingWritten(ca);
    });
  });
}

test('refuses an EC key with explicit curve parameters (ERR_KEY_POLICY)', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const dir = mkdtempSync(join(tmpdir(), 'gh-ecx-'));
  try {
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-param_enc', 'explicit', '-genkey', '-noout', '-out', join(dir, 'k.pem')]);
    execFileSync('openssl', ['req', '-new', '-key', join(dir, 'k.pem'), '-subj', '/CN=explicit', '-outform', 'DER', '-out', join(dir, 'r.der')]);
    await withCa(async (ca) => {
      await assert.rejects(ca.ca.issue(readFileSync(join(dir, 'r.der')), grant()), (e) => isAppError(e, 'ERR_KEY_POLICY'));
      await nothingWritten(ca);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mutated CSRs are refused with an AppError, never a crash (property)', async () => {
  await withCa(async (ca) => {
    const good = makeCsr().csrDer;
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 3 }), async (at, byte, cut) => {
        const m = Buffer.from(good.subarray(0, good.length - cut));
        m[at % m.length] = byte;
        try {
          await ca.ca.issue(m, grant());
        } catch (e) {
          assert.ok(isAppError(e), String(e));
          assert.ok(['ERR_CSR_MALFORMED', 'ERR_CSR_SIGNATURE', 'ERR_KEY_POLICY', 'ERR_CSR_POLICY'].includes(e.code), e.code);
        }
      }),
      { numRuns: 300 },
    );
  });
});

