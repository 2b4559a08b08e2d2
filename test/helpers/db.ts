/**
 * A fresh, migrated database for one test: SQLite in a temp dir by default, or a fresh schema in
 * PostgreSQL (127.0.0.1:5432/test) when GATEHOUSE_TEST_DB=pg. Always call cleanup().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createDb, migrate, type Db, type Migration } from '../../platform/db/index.ts';

export const PG_URL = process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const testDbKind = (): 'pg' | 'sqlite' => (process.env.GATEHOUSE_TEST_DB === 'pg' ? 'pg' : 'sqlite');

export interface TestDb {
  db: Db;
  kind: 'pg' | 'sqlite';
  /** Options that open the same database again (another node, a CLI process). */
  dbOptions: { url?: string; schema?: string; sqlitePath: string; busyTimeoutMs: number; poolMax: number };
  /** Environment variables that point a child `gatehouse` process at the same database. */
  env: Record<string, string>;
  dir: string;
  cleanup(): Promise<void>;
}

export async function createTestDb(migrations: readonly Migration[], kind = testDbKind()): Promise<TestDb> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-test-'));
  const schema = kind === 'pg' ? `t_${randomBytes(6).toString('hex')}` : undefined;
  const dbOptions = {
    ...(kind === 'pg' ? { url: PG_URL, schema } : {}),
    sqlitePath: join(dir, 'gatehouse.sqlite'),
    busyTimeoutMs: 5000,
    poolMax: 10,
  } as TestDb['dbOptions'];
  const db = await createDb(dbOptions);
  await migrate(db, migrations);
  const env: Record<string, string> = kind === 'pg' ? { GATEHOUSE_DB__URL: PG_URL, GATEHOUSE_DB__SCHEMA: schema! } : { GATEHOUSE_DB__SQLITE_PATH: dbOptions.sqlitePath };
  return {
    db,
    kind,
    dbOptions,
    env,
    dir,
    async cleanup() {
      if (kind === 'pg') await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema!]).catch(() => undefined);
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
