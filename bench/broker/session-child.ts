/**
 * Makes the broker benchmark's authenticated session (a child process started by setup.ts):
 * opens the node's database and audit log from its data directory (config, audit key and its
 * passphrase as `gatehouse serve` does) and drives the broker's own SessionService:
 *   start({ user, groups, idpAmr ['pwd'], certificate binding, mfa: totp now })  — what the OIDC
 *   callback followed by a verified TOTP code produce (stage active, MFA time in epoch seconds as
 *   app/mfa.ts records it; audited), then
 *   mintToken(session, console host) — what the hand-off to the console host does.
 * Prints { sessionId, token } (the console-host token; the load generator sends it as the
 * __Host- session cookie).
 *
 * The module is reached by path (bench code, like the unit tests): ztna-broker/index.ts does not
 * export SessionService, and no product code changes for the benchmark.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { AuditLog, createDb, EventBus, loadConfig, loadEncryptedPrivateKey, silentLogger } from '../../platform/index.ts';
import { SessionService } from '../../ztna-broker/sessions/service.ts';

interface Input {
  dataDir: string;
  brokerHost: string;
  routeHost: string;
  user: { sub: string; email: string; groups: string[] };
  cert: { fingerprint: string; serial: string; issuerId: string };
}

const input = JSON.parse(process.argv[2] ?? '{}') as Input;
const config = loadConfig({ env: { GATEHOUSE_DATA_DIR: input.dataDir } });
const db = await createDb({ sqlitePath: config.db.sqlitePath ?? join(config.dataDir, 'gatehouse.sqlite'), busyTimeoutMs: config.db.busyTimeoutMs, poolMax: config.db.poolMax });
const log = silentLogger();
try {
  const key = loadEncryptedPrivateKey(join(config.dataDir, 'keys', 'audit.key.pem'), config.ca.keyPassphrase!.reveal());
  const keyId = createHash('sha256').update(createPublicKey(key).export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
  const audit = new AuditLog(db, { nodeId: config.nodeId, key, keyId, checkpointEvery: config.audit.checkpointEvery, checkpointMinutes: config.audit.checkpointMinutes });
  await audit.init();
  const bus = new EventBus(config.nodeId ?? 'bench', log);
  const sessions = new SessionService({ db, audit, bus, log, now: () => Date.now(), limits: config.broker.session, brokerHost: input.brokerHost });
  const { session } = await sessions.start({ user: input.user, idpAmr: ['pwd'], cert: input.cert, mfa: { method: 'totp', at: Math.floor(Date.now() / 1000) } });
  const token = await sessions.mintToken(session.id, input.routeHost);
  await bus.close();
  console.log(JSON.stringify({ sessionId: session.id, token }));
} finally {
  await db.destroy();
}
