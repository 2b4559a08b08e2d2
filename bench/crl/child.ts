/**
 * One CRL build in a process of its own (started by crl/index.ts, never imported), so that its
 * peak RSS is that of this work alone. argv[2] is JSON:
 *   { mode: 'service', sqlitePath, passphrase, publicUrl }  -> CrlService.publish(issuer): number
 *       allocation, paged DB read of every revoked row, build, sign (+ verify), store + audit
 *       entry, exactly as `gatehouse serve` does (SQLite, WAL, synchronous=FULL);
 *   { mode: 'builder', entries }  -> buildCrl() over a generator of `entries` entries (no DB,
 *       nothing kept), signed with a fresh P-256 key: the pure builder.
 * Timed with performance.now() around the operation only (process start and DB open excluded).
 * Prints {"ms", "entries", "bytes", "rssBaseMiB" (before), "peakRssMiB" (getrusage maxrss)}.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { AuditLog } from '../../platform/audit/index.ts';
import { generateKey, loadEncryptedPrivateKey, SoftwareSigner } from '../../platform/crypto.ts';
import { createDb } from '../../platform/db/index.ts';
import { EventBus } from '../../platform/events.ts';
import { silentLogger } from '../../platform/log.ts';
import { loadIssuers } from '../../ca/index.ts';
import { buildCrl, CrlService, type CrlEntry } from '../../ca/crl/index.ts';
import { encodeName } from '../../ca/asn1/index.ts';

interface Args {
  mode: 'service' | 'builder';
  sqlitePath?: string;
  dataDir?: string;
  passphrase?: string;
  publicUrl?: string;
  entries?: number;
}
const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const mib = (kb: number) => Math.round(kb / 102.4) / 10;

async function service(): Promise<{ ms: number; entries: number; bytes: number; rssBaseMiB: number }> {
  const db = await createDb({ sqlitePath: a.sqlitePath!, busyTimeoutMs: 5000, poolMax: 1 });
  const issuers = await loadIssuers(db, a.passphrase!);
  const issuer = issuers[0]!;
  const key = loadEncryptedPrivateKey(join(a.dataDir!, 'keys', 'audit.key.pem'), a.passphrase!);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const audit = new AuditLog(db, { nodeId: 'bench', key, keyId: createHash('sha256').update(spki).digest('hex').slice(0, 16), checkpointEvery: 1000, checkpointMinutes: 10 });
  await audit.init();
  const bus = new EventBus('bench', silentLogger());
  const crl = new CrlService({
    db,
    ca: { issuer: (id) => issuers.find((i) => i.record.id === id), issuers: () => issuers },
    bus,
    config: { validitySeconds: 86_400, rebuildIntervalSeconds: 3_600, debounceMs: 1_000, deltaValiditySeconds: 3_600 },
    publicUrl: a.publicUrl!,
    log: silentLogger(),
    audit,
  });
  const rssBaseMiB = mib(process.resourceUsage().maxRSS);
  const t0 = performance.now();
  const c = await crl.publish(issuer.record.id);
  const ms = performance.now() - t0;
  await crl.stop();
  await bus.close();
  await db.destroy();
  return { ms, entries: c.entries, bytes: c.der.length, rssBaseMiB };
}

function* entries(n: number, now: number): Generator<CrlEntry> {
  const prefix = '5a1b2c3d4e5f60718293a4b5';
  for (let i = 0; i < n; i++)
    yield { serial: prefix + i.toString(16).padStart(8, '0'), revokedAt: now - 3600 - (i % 86_400), reason: i % 4 === 0 ? 'keyCompromise' : null };
}

function builder(): { ms: number; entries: number; bytes: number; rssBaseMiB: number } {
  const signer = new SoftwareSigner(generateKey('P-256'));
  const issuer = { nameDer: encodeName({ organization: 'bench', commonName: 'bench CRL issuer' }), signer, ski: Buffer.alloc(20, 7) };
  const now = Math.floor(Date.now() / 1000);
  const rssBaseMiB = mib(process.resourceUsage().maxRSS);
  const t0 = performance.now();
  const c = buildCrl(
    { issuer, number: 1, thisUpdate: new Date(now * 1000), nextUpdate: new Date((now + 86_400) * 1000), idpUrl: 'http://bench.test/crl/x.crl', sizeHint: a.entries },
    entries(a.entries!, now),
  );
  const ms = performance.now() - t0;
  return { ms, entries: c.entries, bytes: c.der.length, rssBaseMiB };
}

const r = a.mode === 'service' ? await service() : builder();
console.log(JSON.stringify({ ...r, peakRssMiB: mib(process.resourceUsage().maxRSS) }));
