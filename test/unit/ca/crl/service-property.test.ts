import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { caMigrations } from '../../../../ca/migrations.ts';
import { CrlService, parseCrl } from '../../../../ca/crl/index.ts';
import { EventBus } from '../../../../platform/events.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { createTestDb } from '../../../helpers/db.ts';
import { findTool } from '../../../helpers/tools.ts';
import { fakeCa, insertCerts, insertIssuerRow, loadedIssuer, softIssuer, type CertRowInput } from './helpers.ts';
import { run } from './interop-fixture.ts';

const REASONS = [
  'keyCompromise',
  'superseded',
  'unspecified',
  'certificateHold',
  'cessationOfOperation',
  null,
] as const;

const rowArb = fc.record({
  serial: fc.uint8Array({ minLength: 8, maxLength: 20 }).map((b) =>
    Buffer.from(b)
      .toString('hex')
      .replace(/^0+(?=.)/, ''),
  ),
  state: fc.constantFrom('issued', 'revoked', 'reserved') as fc.Arbitrary<'issued' | 'revoked' | 'reserved'>,
  /** notAfter relative to "now" in seconds; null = never issued */
  notAfter: fc.option(fc.integer({ min: -5_000, max: 5_000 }), { nil: null }),
  reason: fc.constantFrom(...REASONS),
  invalidity: fc.boolean(),
});

test('property: random certificate tables -> the CRL parses and lists exactly the unexpired revoked serials (DER reader; OpenSSL on some runs)', async () => {
  const t = await createTestDb(caMigrations);
  const bus = new EventBus('p', silentLogger());
  const issuer = loadedIssuer('i1', softIssuer());
  await insertIssuerRow(t.db, issuer);
  const now = Math.floor(Date.now() / 1000);
  const svc = new CrlService({
    db: t.db,
    ca: fakeCa([issuer]),
    bus,
    config: { validitySeconds: 600, rebuildIntervalSeconds: 60, debounceMs: 0, deltaValiditySeconds: 300 },
    publicUrl: 'http://127.0.0.1:8080',
    log: silentLogger(),
    now: () => new Date(now * 1000 + 400),
  });
  const openssl = findTool('openssl');
  let runs = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(rowArb, { maxLength: 40, selector: (r) => r.serial }), async (rows) => {
        await t.db('ca_certificates').where({ issuer_id: 'i1' }).del();
        const input: CertRowInput[] = rows.map((r) => ({
          serial: r.serial,
          state: r.state,
          notAfter: r.notAfter === null ? null : now + r.notAfter,
          revokedAt: r.state === 'revoked' ? now - 100 : null,
          reason: r.state === 'revoked' ? r.reason : null,
          invalidityDate: r.state === 'revoked' && r.invalidity ? now - 200 : null,
        }));
        await insertCerts(t.db, 'i1', input);
        const crl = await svc.publish('i1');
        const want = rows
          .filter((r) => r.state === 'revoked' && (r.notAfter === null || r.notAfter >= 0))
          .map((r) => r.serial);
        const got = parseCrl(crl.der).entries;
        assert.deepEqual(got.map((e) => e.serial).sort(), [...want].sort());
        for (const e of got) {
          const r = rows.find((x) => x.serial === e.serial)!;
          assert.equal(e.reason, r.reason === 'unspecified' ? null : r.reason);
          assert.equal(e.invalidityDate?.getTime() ?? null, r.invalidity ? (now - 200) * 1000 : null);
        }
        if (openssl && runs++ % 8 === 0) {
          const file = join(t.dir, 'p.der');
          writeFileSync(file, crl.der);
          const out = await run(openssl, ['crl', '-inform', 'DER', '-in', file, '-text', '-noout']);
          assert.equal(out.code, 0, out.stderr);
          const listed = [...out.stdout.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) =>
            m[1]!.toLowerCase().replace(/^0+(?=.)/, ''),
          );
          assert.deepEqual(listed.sort(), [...want].sort());
        }
      }),
      { numRuns: 40 },
    );
  } finally {
    await svc.stop();
    await bus.close();
    await t.cleanup();
  }
});
