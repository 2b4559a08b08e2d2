/**
 * The ONE knex factory: SQLite (better-sqlite3) by default, PostgreSQL by URL.
 *
 * Rules:
 * - SQLite runs with journal_mode=WAL and synchronous=FULL: a committed row survives power loss.
 *   One connection per process (SQLite serialises writers anyway; queuing in the pool is cheaper
 *   than SQLITE_BUSY retries), busy_timeout from config, foreign keys on.
 * - SQLite write transactions start with BEGIN IMMEDIATE: the write lock is taken (waiting up to
 *   busy_timeout) before the first read, so a read-then-write (the audit head) never fails with
 *   SQLITE_BUSY on a snapshot another process (a CLI command, another node) advanced meanwhile.
 * - No SQLite transaction outlives its knex transaction: knex does not roll back when COMMIT
 *   itself fails (deferred constraint, SQLITE_FULL/IOERR at commit) and SQLite then keeps the
 *   transaction open on the pooled connection. A connection still inside a transaction is rolled
 *   back when it is released and again before it is handed out, so later work never runs inside
 *   (and never commits) a failed transaction.
 * - A ROLLBACK after SQLite already ended the transaction by itself (SQLITE_FULL, IOERR, NOMEM
 *   roll back automatically) is a no-op, so the caller sees the original error, not "cannot
 *   rollback - no transaction is active".
 * - PostgreSQL uses a pool; `schema` sets search_path (created if missing) so test runs and
 *   tenants can share one database. It ends a failed transaction itself.
 * - better-sqlite3 over sqlite3: measured ~2x more durable inserts/s through knex on this machine.
 * - SQLite prepared statements are cached per connection (bounded, by SQL text): knex prepares
 *   every query afresh, which was ~8% of the issuance hot path. Statements are only run with
 *   all()/run() (never iterated), so sharing one between queries is safe.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';

export type Db = Knex;
export type Tx = Knex.Transaction;
export type DbKind = 'sqlite' | 'pg';

export interface DbOptions {
  url?: string | undefined;
  schema?: string | undefined;
  sqlitePath: string;
  busyTimeoutMs: number;
  poolMax: number;
}

export function dbKind(db: Db): DbKind {
  return db.client.config.client === 'pg' ? 'pg' : 'sqlite';
}

/** The part of a better-sqlite3 Database used here. */
interface SqliteConn {
  readonly inTransaction: boolean;
  exec(sql: string): unknown;
  pragma(s: string): unknown;
  prepare: (sql: string) => unknown;
}
interface QueryObject {
  sql: string;
  response?: unknown;
  context?: unknown;
}
interface SqliteClient {
  acquireConnection(): Promise<SqliteConn>;
  releaseConnection(c: SqliteConn): Promise<void>;
  _query(c: SqliteConn, obj: QueryObject): Promise<QueryObject>;
}
type SqliteClientClass = new (config: Knex.Config) => SqliteClient;
interface SqliteTransaction {
  query(conn: SqliteConn, sql: string): Promise<unknown>;
}
type SqliteTransactionClass = new (client: SqliteClient, ...rest: unknown[]) => SqliteTransaction;

// knex exposes no hook for the BEGIN statement: extend its own better-sqlite3 dialect.
const load = createRequire(import.meta.url);
const BetterSqlite3Client = load('knex/lib/dialects/better-sqlite3/index.js') as SqliteClientClass;
const SqliteTransactionBase = load('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as SqliteTransactionClass;

class ImmediateTransaction extends SqliteTransactionBase {
  begin(conn: SqliteConn): Promise<unknown> {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

/** Ends a transaction left open on a pooled connection (see the rules above). */
function endLeftoverTransaction(conn: SqliteConn): void {
  if (conn.inTransaction) conn.exec('ROLLBACK');
}

class GatehouseSqliteClient extends BetterSqlite3Client {
  transaction(...args: unknown[]): SqliteTransaction {
    return new ImmediateTransaction(this, ...args);
  }
  override async acquireConnection(): Promise<SqliteConn> {
    const conn = await super.acquireConnection();
    endLeftoverTransaction(conn);
    return conn;
  }
  override releaseConnection(conn: SqliteConn): Promise<void> {
    try {
      endLeftoverTransaction(conn);
    } catch {
      // the next acquire tries again; never keep the connection from going back to the pool
    }
    return super.releaseConnection(conn);
  }
  override _query(conn: SqliteConn, obj: QueryObject): Promise<QueryObject> {
    if (obj.sql === 'ROLLBACK' && !conn.inTransaction) {
      obj.response = { changes: 0 };
      obj.context = { changes: 0 };
      return Promise.resolve(obj);
    }
    return super._query(conn, obj);
  }
}

export async function createDb(opts: DbOptions): Promise<Db> {
  if (opts.url) {
    const schema = opts.schema;
    const db = knexFactory({
      client: 'pg',
      connection: opts.url,
      searchPath: schema ? [schema] : undefined,
      pool: { min: 0, max: opts.poolMax },
      acquireConnectionTimeout: 10_000,
    });
    if (schema) await db.raw('CREATE SCHEMA IF NOT EXISTS ??', [schema]);
    return db;
  }
  const file = resolve(opts.sqlitePath);
  mkdirSync(dirname(file), { recursive: true });
  return knexFactory({
    client: GatehouseSqliteClient as unknown as typeof Knex.Client,
    connection: { filename: file },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: SqliteConn, done: (err: Error | null, c: unknown) => void) => {
        try {
          cacheStatements(conn);
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = FULL');
          conn.pragma(`busy_timeout = ${opts.busyTimeoutMs | 0}`);
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        } catch (e) {
          done(e as Error, conn);
        }
      },
    },
    acquireConnectionTimeout: 30_000,
  });
}

const STATEMENT_CACHE_MAX = 512;

function cacheStatements(conn: SqliteConn): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    let st = cache.get(sql);
    if (st === undefined) {
      st = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_MAX) cache.delete(cache.keys().next().value as string);
      cache.set(sql, st);
    }
    return st;
  };
}
