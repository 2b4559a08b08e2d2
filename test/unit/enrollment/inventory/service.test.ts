import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { AuditLog, auditMigrations, verifyAuditDb } from '../../../../platform/audit/index.ts';
import { EventBus } from '../../../../platform/events.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { enrollmentMigrations } from '../../../../enrollment/migrations.ts';
import { InventoryService } from '../../../../enrollment/inventory/service.ts';
import { importDevices, rowsFromText } from '../../../../enrollment/inventory/import.ts';
import { normalizeMac } from '../../../../enrollment/inventory/model.ts';
import { createTestDb } from '../../../helpers/db.ts';

async function setup() {
  const t = await createTestDb([...auditMigrations, ...enrollmentMigrations]);
  const audit = new AuditLog(t.db, { nodeId: 'n', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, keyId: 'k', checkpointEvery: 100, checkpointMinutes: 10 });
  await audit.init();
  const bus = new EventBus('n', silentLogger());
  const inv = new InventoryService({ db: t.db, audit, bus });
  await inv.putSegment({ name: 'cameras', vlanId: 110, description: 'IP cameras', flows: [{ to: 'nvr', ports: [554], protocol: 'tcp', purpose: 'RTSP' }] }, 'admin');
  return { ...t, inv, bus, audit };
}

const cam = { id: 'cam-1', name: 'Lobby camera', function: 'camera', owner: 'facilities', segment: 'cameras', macs: ['00-11-22-AA-BB-CC'] };

test('MAC notations normalise to one form', () => {
  for (const m of ['00:11:22:aa:bb:cc', '00-11-22-AA-BB-CC', '0011.22aa.bbcc', '001122AABBCC']) assert.equal(normalizeMac(m), '00:11:22:aa:bb:cc');
  assert.equal(normalizeMac('00:11:22:aa:bb'), null);
  assert.equal(normalizeMac('zz:11:22:aa:bb:cc'), null);
});

test('add, update, lifecycle, events and audit evidence', async () => {
  const t = await setup();
  try {
    const events: string[] = [];
    t.bus.subscribe('device.changed', (e) => void events.push(`${e.deviceId}:${e.state}`));
    const d = await t.inv.addDevice(cam, 'admin');
    assert.equal(d.state, 'registered');
    assert.deepEqual(d.macs, ['00:11:22:aa:bb:cc']);
    assert.equal((await t.inv.byMac('00:11:22:aa:bb:cc'))?.id, 'cam-1');
    await t.inv.updateDevice('cam-1', { firmwareVersion: '2.1.0' }, 'admin');
    assert.equal((await t.inv.get('cam-1'))?.firmwareVersion, '2.1.0');
    await t.inv.approve('cam-1', 'admin');
    await t.inv.quarantine('cam-1', 'soc', 'beaconing to unknown host');
    const q = await t.inv.get('cam-1');
    assert.equal(q?.state, 'quarantined');
    assert.ok(q?.quarantinedAt);
    await assert.rejects(t.inv.transition('cam-1', 'enrolled', 'x'), (e) => isAppError(e, 'ERR_DEVICE_STATE'));
    await t.inv.approve('cam-1', 'soc');
    assert.deepEqual(events, ['cam-1:registered', 'cam-1:registered', 'cam-1:approved', 'cam-1:quarantined', 'cam-1:approved']);
    const actions = (await t.db('audit_log').orderBy('seq')).map((r: { action: string }) => r.action);
    assert.deepEqual(actions, ['segment.add', 'device.add', 'device.update', 'device.approve', 'device.quarantine', 'device.release']);
    assert.equal((await verifyAuditDb(t.db)).ok, true);
  } finally {
    await t.bus.close();
    await t.cleanup();
  }
});

test('bad input: unknown segment, duplicate MAC, control characters, duplicate id', async () => {
  const t = await setup();
  try {
    await t.inv.addDevice(cam, 'admin');
    await assert.rejects(t.inv.addDevice({ ...cam, id: 'cam-2', segment: 'nope', macs: [] }, 'a'), /segment: no segment named nope/);
    await assert.rejects(t.inv.addDevice({ ...cam, id: 'cam-2', macs: ['00:11:22:aa:bb:cc'] }, 'a'), (e) => isAppError(e, 'ERR_CONFLICT') && /cam-1/.test(e.message));
    await assert.rejects(t.inv.addDevice({ ...cam, id: 'cam-3', macs: [], name: 'evil\u0007bell' }, 'a'), (e) => isAppError(e, 'ERR_BAD_INPUT') && /name/.test(e.message));
    await assert.rejects(t.inv.addDevice({ ...cam, macs: [] }, 'a'), (e) => isAppError(e, 'ERR_CONFLICT'));
    await assert.rejects(t.inv.deleteSegment('cameras', 'a'), (e) => isAppError(e, 'ERR_CONFLICT'));
    await assert.rejects(t.inv.putSegment({ name: 'x', vlanId: 4095 }, 'a'), /vlanId/);
  } finally {
    await t.cleanup();
  }
});

test('bulk import is all or nothing with per-row errors', async () => {
  const t = await setup();
  try {
    const csv = [
      'id,name,function,owner,segment,macs,mabOnly',
      'cam-10,Cam 10,camera,fac,cameras,00:00:00:00:00:10,no',
      'cam-11,Cam 11,camera,fac,cameras,00:00:00:00:00:11;00:00:00:00:00:12,yes',
      'cam-12,,camera,fac,cameras,,no',
      'cam-13,Cam 13,camera,fac,cameras,00:00:00:00:00:10,no',
    ].join('\n');
    await assert.rejects(importDevices(t.db, t.inv, rowsFromText(csv, 'csv'), 'admin'), (e) => {
      assert.ok(isAppError(e, 'ERR_BAD_INPUT'));
      const rows = (e.detail as { rows: Array<{ row: number; errors: string }> }).rows;
      assert.deepEqual(
        rows.map((r) => r.row),
        [4, 5],
      );
      assert.match(rows[1]!.errors, /already used on row 2/);
      return true;
    });
    assert.equal((await t.inv.list()).length, 0);
    // a row that only the database can reject (unknown segment) also rolls back everything
    const bad = rowsFromText(JSON.stringify([{ ...cam, id: 'ok-1', macs: [] }, { ...cam, id: 'ok-2', macs: [], segment: 'ghost' }]), 'json');
    await assert.rejects(importDevices(t.db, t.inv, bad, 'admin'), /row 2: segment/);
    assert.equal((await t.inv.list()).length, 0);
    const good = csv.split('\n').slice(0, 3).join('\n');
    let progress = 0;
    const r = await importDevices(t.db, t.inv, rowsFromText(good, 'csv'), 'admin', (d) => (progress = d));
    assert.equal(r.imported, 2);
    assert.equal(progress, 2);
    assert.equal((await t.inv.get('cam-11'))?.mabOnly, true);
  } finally {
    await t.cleanup();
  }
});
