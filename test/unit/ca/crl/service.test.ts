import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCrl } from '../../../../ca/crl/index.ts';
import { auditStore } from '../../../../platform/audit/index.ts';
import { insertCerts, insertIssuerRow, loadedIssuer, softIssuer } from './helpers.ts';
import { CONFIG, sec, serials, setup, waitFor } from './service-env.ts';

test('publish: stored, audited in the same transaction, announced, served from memory', async () => {
  const e = await setup();
  try {
    const revoked = await insertCerts(e.t.db, 'i1', [
      { state: 'revoked', revokedAt: sec(e.clock.now) - 60, reason: 'keyCompromise' },
      { state: 'issued' },
    ]);
    const svc = e.make();
    const crl = await svc.publish('i1');
    assert.equal(crl.number, 1);
    assert.deepEqual(serials(crl), revoked.slice(0, 1));
    assert.deepEqual(e.published, [{ issuerId: 'i1', crlNumber: '1', delta: false }]);
    const entries = [];
    for await (const a of auditStore.entries(e.t.db, 100, { action: 'crl.publish' })) entries.push(a);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.target, 'i1');
    assert.deepEqual(
      { ...(entries[0]!.data as object), thisUpdate: undefined, nextUpdate: undefined, sha256: undefined },
      {
        number: 1,
        delta: false,
        baseNumber: null,
        entries: 1,
        thisUpdate: undefined,
        nextUpdate: undefined,
        sha256: undefined,
      },
    );
    assert.equal(await svc.latest('i1'), crl, 'served from the memory cache');
    assert.equal(await svc.latest('i2'), null);
    assert.equal(crl.nextUpdate.getTime() - crl.thisUpdate.getTime(), CONFIG.validitySeconds * 1000);
  } finally {
    await e.done();
  }
});

test('delta: publishes a base first when none exists; lists revocations and hold releases since the base', async () => {
  const e = await setup();
  try {
    const svc = e.make();
    const [held] = await insertCerts(e.t.db, 'i1', [
      { state: 'revoked', revokedAt: sec(e.clock.now) - 7200, reason: 'certificateHold' },
    ]);
    const first = await svc.publish('i1', { delta: true });
    const base = (await svc.latest('i1'))!;
    assert.equal(base.number, 1);
    assert.deepEqual(serials(base), [held]);
    assert.equal(first.number, 2);
    assert.equal(first.baseNumber, 1);
    e.clock.now += 600_000;
    const [late] = await insertCerts(e.t.db, 'i1', [
      { state: 'revoked', revokedAt: sec(e.clock.now) - 5, reason: 'keyCompromise' },
    ]);
    await e.t
      .db('ca_certificates')
      .where({ serial: held })
      .update({ state: 'issued', revoked_at: null, revocation_reason: null, hold_released_at: sec(e.clock.now) - 1 });
    const delta = await svc.publish('i1', { delta: true });
    const p = parseCrl(delta.der);
    assert.equal(p.baseNumber, 1n);
    assert.deepEqual(
      p.entries.map((x) => [x.serial, x.reason]).sort(),
      [
        [held, 'removeFromCRL'],
        [late, 'keyCompromise'],
      ].sort(),
    );
    const full = await svc.publish('i1');
    assert.deepEqual(serials(full), [late], 'a released hold leaves the complete CRL');
  } finally {
    await e.done();
  }
});

test('entries are dropped only after the certificate expired, never before', async () => {
  const e = await setup();
  try {
    const svc = e.make();
    const t0 = sec(e.clock.now);
    const [short, long, reserved] = await insertCerts(e.t.db, 'i1', [
      { state: 'revoked', revokedAt: t0 - 10, notAfter: t0 + 100 },
      { state: 'revoked', revokedAt: t0 - 10, notAfter: t0 + 10_000 },
      { state: 'revoked', revokedAt: t0 - 10, notAfter: null },
    ]);
    assert.deepEqual(serials(await svc.publish('i1')), [short, long, reserved].sort());
    e.clock.now = (t0 + 100) * 1000;
    assert.deepEqual(serials(await svc.publish('i1')), [short, long, reserved].sort(), 'still listed at its notAfter');
    e.clock.now = (t0 + 101) * 1000;
    assert.deepEqual(serials(await svc.publish('i1')), [long, reserved].sort());
    e.clock.now = (t0 + 400 * 86_400) * 1000; // past everything but the reserved serial
    assert.deepEqual(serials(await svc.publish('i1')), [reserved]);
  } finally {
    await e.done();
  }
});

test('debounce: 1,000 revocations cause a handful of rebuilds, and the last CRL lists all of them', async () => {
  const e = await setup();
  try {
    const svc = e.make();
    await svc.start(); // publishes i1 and i2 (full + delta each)
    const before = e.published.length;
    assert.equal(before, 4);
    const all: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const got = await insertCerts(
        e.t.db,
        'i1',
        Array.from({ length: 100 }, () => ({
          state: 'revoked' as const,
          revokedAt: sec(e.clock.now),
          reason: 'superseded',
        })),
      );
      all.push(...got);
      for (const serial of got)
        e.bus.emitLocal('cert.revoked', {
          issuerId: 'i1',
          serial,
          reason: 'superseded',
          revokedAt: new Date().toISOString(),
        });
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => svc.pendingRebuilds === 0, 'rebuilds to settle');
    const fulls = e.published.slice(before).filter((p) => !p.delta && p.issuerId === 'i1').length;
    assert.ok(fulls >= 1 && fulls <= 5, `complete CRL rebuilds: ${fulls}`);
    assert.deepEqual(serials(await svc.latest('i1')), all.sort());
    assert.ok(
      e.published.slice(before).every((p) => p.issuerId === 'i1'),
      'other issuers untouched',
    );
  } finally {
    await e.done();
  }
});

test('schedule: retiring issuers keep getting CRLs, expired issuers none; due by interval; stop() leaves nothing running', async () => {
  const e = await setup();
  try {
    e.issuers.push(loadedIssuer('old', softIssuer(), { status: 'retired', notAfter: new Date(e.clock.now - 1000) }));
    await insertIssuerRow(e.t.db, e.issuers[2]!);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const baseline = timers();
    const svc = e.make({ tuning: { tickMs: 60_000 } });
    await svc.start();
    assert.equal(timers(), baseline + 1, 'the due-check timer');
    const key = (p: { issuerId: string; delta: boolean }) => `${p.issuerId}:${p.delta ? 'delta' : 'full'}`;
    assert.deepEqual(e.published.map(key).sort(), ['i1:delta', 'i1:full', 'i2:delta', 'i2:full']);
    await svc.runDue();
    assert.equal(e.published.length, 4, 'nothing due yet');
    e.clock.now += CONFIG.deltaValiditySeconds * 500; // half the delta validity
    await svc.runDue();
    assert.deepEqual(e.published.slice(4).map(key).sort(), ['i1:delta', 'i2:delta']);
    e.clock.now += CONFIG.rebuildIntervalSeconds * 1000;
    await svc.runDue();
    assert.deepEqual(e.published.slice(6).map(key).sort(), ['i1:delta', 'i1:full', 'i2:delta', 'i2:full']);
    e.bus.emitLocal('cert.revoked', {
      issuerId: 'i1',
      serial: '01',
      reason: 'keyCompromise',
      revokedAt: new Date().toISOString(),
    });
    assert.equal(svc.pendingRebuilds, 1, 'a debounced rebuild is waiting');
    await svc.stop();
    assert.equal(timers(), baseline, 'stop() cleared the due-check and debounce timers');
    e.bus.emitLocal('cert.revoked', {
      issuerId: 'i1',
      serial: '01',
      reason: 'keyCompromise',
      revokedAt: new Date().toISOString(),
    });
    await new Promise((r) => setTimeout(r, CONFIG.debounceMs * 3));
    assert.equal(e.published.length, 10, 'no publication after stop()');
    assert.equal(svc.pendingRebuilds, 0);
  } finally {
    await e.done();
  }
});
