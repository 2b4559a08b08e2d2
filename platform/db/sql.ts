/**
 * Hot statements as fixed SQL text: no query-builder compile per call (knex's builder was about a
 * fifth of the issuance hot path), one text for SQLite and PostgreSQL (`?` placeholders, numbered
 * by knex for PostgreSQL), prepared once per SQLite connection (the knex.ts statement cache).
 *
 * Rules:
 * - Portable SQL only (INSERT ... VALUES (..),(..), UPDATE/DELETE ... WHERE); table and column
 *   names are constants of the calling store, values are always bound, never spliced in.
 * - execute() returns the number of rows changed, whatever the driver calls it.
 * - Multi-row inserts are split into chunks of at most MAX_ROWS_PER_INSERT rows, below SQLite's
 *   limits on bound variables (32766) and compound terms, and placeholders() is memoised per shape.
 */
import type { Knex } from 'knex';
import type { Db, Tx } from './knex.ts';

export const MAX_ROWS_PER_INSERT = 100;

/** Runs one write statement; the number of rows it changed. */
export async function execute(q: Db | Tx, sql: string, bindings: readonly unknown[]): Promise<number> {
  const r = (await q.raw(sql, bindings as readonly Knex.RawBinding[])) as
    { changes?: number; rowCount?: number | null } | undefined;
  return r?.changes ?? r?.rowCount ?? 0;
}

const shapes = new Map<string, string>();

/** "(?,?,?),(?,?,?)" for `rows` rows of `cols` values. */
export function placeholders(cols: number, rows: number): string {
  const key = `${cols}x${rows}`;
  let s = shapes.get(key);
  if (s === undefined) {
    const one = `(${new Array(cols).fill('?').join(',')})`;
    s = new Array(rows).fill(one).join(',');
    if (shapes.size < 1024) shapes.set(key, s);
  }
  return s;
}

/** Inserts rows (arrays of `columns.length` values) with as few statements as the limits allow. */
export async function insertRows(
  q: Db | Tx,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  const head = `insert into ${table} (${columns.join(', ')}) values `;
  for (let i = 0; i < rows.length; i += MAX_ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + MAX_ROWS_PER_INSERT);
    await q.raw(head + placeholders(columns.length, chunk.length), chunk.flat() as Knex.RawBinding[]);
  }
}
