/**
 * The composition root's shared context: config -> logger -> database (migrated) -> audit log
 * -> event bus -> metrics. Commands open what they need and close it at the end.
 *
 * Rules:
 * - The audit key lives at <dataDir>/keys/audit.key.pem, encrypted with ca.keyPassphrase;
 *   commands that only read (verify, export, list) do not need it.
 * - Nothing here reads the offline root key; ceremony commands take --offline-dir explicitly.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AppError,
  AuditLog,
  EventBus,
  createDb,
  createLogger,
  createMetrics,
  generateKey,
  loadConfig,
  loadEncryptedPrivateKey,
  migrate,
  saveEncryptedKey,
  type Config,
  type Db,
  type Logger,
  type Registry,
} from '../platform/index.ts';
import { allMigrations } from './migrations.ts';

export interface GlobalOpts {
  config?: string;
  json?: boolean;
  dataDir?: string;
}

export interface Context {
  config: Config;
  log: Logger;
  db: Db;
  bus: EventBus;
  metrics: Registry;
  /** Present when the audit key could be unlocked (needed by every command that changes state). */
  audit: AuditLog | null;
  close(): Promise<void>;
}

export function readConfig(g: GlobalOpts, overrides?: Record<string, unknown>): Config {
  const env = { ...process.env };
  if (g.dataDir) env.GATEHOUSE_DATA_DIR = g.dataDir;
  return loadConfig({ file: g.config, env, overrides });
}

export const dataPath = (config: Config, ...p: string[]) => resolve(config.dataDir, ...p);
export const auditKeyFile = (config: Config) => dataPath(config, 'keys', 'audit.key.pem');

export async function openDb(config: Config): Promise<Db> {
  const db = await createDb({
    url: config.db.url,
    schema: config.db.schema,
    sqlitePath: config.db.sqlitePath ?? join(config.dataDir, 'gatehouse.sqlite'),
    busyTimeoutMs: config.db.busyTimeoutMs,
    poolMax: config.db.poolMax,
  });
  await migrate(db, allMigrations);
  return db;
}

/** Creates the audit signing key if missing (init), encrypted with ca.keyPassphrase. */
export function ensureAuditKey(config: Config): void {
  const file = auditKeyFile(config);
  if (existsSync(file)) return;
  const pass = config.ca.keyPassphrase;
  if (!pass) throw new AppError('ERR_CONFIG', 'ca.keyPassphrase is not configured: cannot create the audit key');
  saveEncryptedKey(file, generateKey('P-256'), pass.reveal());
}

export async function openContext(g: GlobalOpts, opts: { needAudit?: boolean; logLevel?: string; pollEvents?: boolean } = {}): Promise<Context> {
  const config = readConfig(g);
  const log = createLogger({ level: opts.logLevel ?? config.log.level, nodeId: config.nodeId });
  const db = await openDb(config);
  const bus = new EventBus(config.nodeId, log, config.db.schema ? `gatehouse_events_${config.db.schema}` : 'gatehouse_events');
  await bus.attachDb(db, { poll: Boolean(opts.pollEvents) });
  const metrics = createMetrics();
  let audit: AuditLog | null = null;
  const file = auditKeyFile(config);
  if (config.ca.keyPassphrase && existsSync(file)) {
    const key = loadEncryptedPrivateKey(file, config.ca.keyPassphrase.reveal());
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const keyId = createHash('sha256').update(spki).digest('hex').slice(0, 16);
    audit = new AuditLog(db, {
      nodeId: config.nodeId,
      key,
      keyId,
      checkpointEvery: config.audit.checkpointEvery,
      checkpointMinutes: config.audit.checkpointMinutes,
    });
    await audit.init();
  } else if (opts.needAudit) {
    await db.destroy();
    throw new AppError(
      'ERR_CONFIG',
      config.ca.keyPassphrase ? `audit key ${file} is missing: run \`gatehouse init\` first` : 'ca.keyPassphrase is not configured (needed to sign the audit log)',
    );
  }
  return {
    config,
    log,
    db,
    bus,
    metrics,
    audit,
    async close() {
      await bus.close();
      await db.destroy();
    },
  };
}
