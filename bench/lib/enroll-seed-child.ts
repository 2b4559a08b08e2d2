/**
 * Enrollment fixture (started by enroll-seed.ts, never imported): N inventory devices, each
 * approved and holding ONE one-time enrollment token, written into a `gatehouse init --dev` data
 * directory BEFORE `gatehouse serve` opens it (the audit chain has one writer at a time).
 *
 * How: the product's own services on the node's own store and audit key, as `gatehouse device
 * import` + `device approve` + `device token` would do, but in batched transactions (seeding is
 * not measured): InventoryService.insertValidated (device.add), transition -> approved
 * (device.approve), Tokens.create (enroll.token.create, SHA-256 of the token stored). Every
 * device is its own inventory row in segment `bench` (VLAN 120), id `<prefix>-<n>`.
 * Prints one JSON line: { file, count, seconds }; the file has one `deviceId token` per line.
 * argv[2]: JSON { dataDir, prefix, count, out }.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog, createDb, EventBus, loadConfig, loadEncryptedPrivateKey, silentLogger, withTx } from '../../platform/index.ts';
import { InventoryService } from '../../enrollment/index.ts';
import { Tokens } from '../../enrollment/onboarding/index.ts';
import { deviceInput } from '../../enrollment/inventory/model.ts';

interface Args {
  dataDir: string;
  prefix: string;
  count: number;
  out: string;
}
const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const t0 = performance.now();
const config = loadConfig({ env: { ...process.env, GATEHOUSE_DATA_DIR: a.dataDir } });
const db = await createDb({
  url: config.db.url,
  schema: config.db.schema,
  sqlitePath: config.db.sqlitePath ?? join(config.dataDir, 'gatehouse.sqlite'),
  busyTimeoutMs: config.db.busyTimeoutMs,
  poolMax: config.db.poolMax,
});
const key = loadEncryptedPrivateKey(join(config.dataDir, 'keys', 'audit.key.pem'), config.ca.keyPassphrase!.reveal());
const keyId = createHash('sha256').update(createPublicKey(key).export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
const audit = new AuditLog(db, { nodeId: config.nodeId, key, keyId, checkpointEvery: config.audit.checkpointEvery, checkpointMinutes: config.audit.checkpointMinutes });
await audit.init();
const bus = new EventBus(config.nodeId, silentLogger());
const inventory = new InventoryService({ db, audit, bus });
const tokens = new Tokens({ db, audit, ttlHours: config.enrollment.tokenTtlHours });
const actor = 'bench:seed';
try {
  if (!(await inventory.segments()).some((s) => s.name === 'bench')) await inventory.putSegment({ name: 'bench', vlanId: 120 }, actor);
  const lines: string[] = [];
  const BATCH = 500;
  for (let i = 0; i < a.count; i += BATCH) {
    await withTx(db, async (trx) => {
      for (let n = i; n < Math.min(a.count, i + BATCH); n++) {
        const id = `${a.prefix}-${n + 1}`;
        const dev = deviceInput.parse({ id, name: id, function: 'sensor', owner: 'bench', segment: 'bench' });
        await inventory.insertValidated(trx, dev, actor);
        await inventory.transition(id, 'approved', actor, undefined, trx);
        lines.push(`${id} ${(await tokens.create(trx, id, actor)).token}`);
      }
    });
  }
  writeFileSync(a.out, lines.join('\n') + '\n');
  console.log(JSON.stringify({ file: a.out, count: lines.length, seconds: (performance.now() - t0) / 1000 }));
} finally {
  await bus.close();
  await db.destroy();
}
