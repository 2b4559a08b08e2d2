/**
 * CrlService wired to the real CaService (issuance core): revocations through ca.revoke() reach
 * the CRL through the 'cert.revoked' event and the debounced rebuild, holds and releases flow
 * into complete and delta CRLs, and the IDP equals the CDP of the issued certificates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrlService, parseCrl, type PublishedCrl } from '../../../../ca/crl/index.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { createTestCa, makeCsr } from '../../../helpers/pki.ts';

const CONFIG = { validitySeconds: 86_400, rebuildIntervalSeconds: 3_600, debounceMs: 30, deltaValiditySeconds: 3_600 };
const serials = (c: PublishedCrl | null) =>
  c
    ? parseCrl(c.der)
        .entries.map((e) => e.serial)
        .sort()
    : [];

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('revoke() -> cert.revoked -> debounced rebuild: the new CRL lists the serial; a released hold leaves it', async () => {
  const ca = await createTestCa();
  const crl = new CrlService({
    db: ca.db,
    ca: ca.ca,
    bus: ca.bus,
    audit: ca.audit,
    config: CONFIG,
    publicUrl: ca.publicUrl,
    log: silentLogger(),
  });
  try {
    await crl.start();
    const id = ca.issuer.record.id;
    const first = (await crl.latest(id))!;
    assert.deepEqual(serials(first), []);
    const issue = () =>
      ca.ca.issue(makeCsr('P-256').csrDer, { profile: 'device-tls', subject: { commonName: 'dev' }, actor: 'test' });
    const [a, b] = [await issue(), await issue()];

    // IDP of the CRL == CDP of the certificate, byte for byte
    const idp = parseCrl(first.der).idp!.urls[0]!;
    assert.ok(a.der.includes(Buffer.from(idp, 'latin1')), `certificate CDP ${idp}`);

    await ca.ca.revoke(a.serial, 'keyCompromise', { actor: 'test' });
    await ca.ca.revoke(b.serial, 'certificateHold', { actor: 'test' });
    await until(
      async () => serials(await crl.latest(id)).length === 2 && crl.pendingRebuilds === 0,
      'both revocations in the CRL',
    );
    assert.deepEqual(serials(await crl.latest(id)), [a.serial, b.serial].sort());
    const entry = parseCrl((await crl.latest(id))!.der).entries.find((e) => e.serial === b.serial)!;
    assert.equal(entry.reason, 'certificateHold');

    await ca.ca.revoke(b.serial, 'removeFromCRL', { actor: 'test' });
    await until(async () => serials(await crl.latest(id)).length === 1 && crl.pendingRebuilds === 0, 'hold released');
    const delta = parseCrl((await crl.latest(id, { delta: true }))!.der);
    assert.deepEqual(
      delta.entries.map((e) => [e.serial, e.reason]).sort(),
      [
        [a.serial, 'keyCompromise'],
        [b.serial, 'removeFromCRL'],
      ].sort(),
      'the delta (based on the first CRL) lists the revocation and the release',
    );
    assert.equal(delta.baseNumber, BigInt(first.number));
  } finally {
    await crl.stop();
    await ca.cleanup();
  }
});
