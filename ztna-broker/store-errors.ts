/**
 * What every broker store shares (no queries here; only store.ts files build them).
 *
 * Rules enforced:
 * - Driver errors leave the broker's stores as ERR_STORE_* (busy, full, unavailable) or
 *   ERR_CONFLICT for duplicate keys, never as raw driver errors, so every caller can fail closed
 *   with a 503 instead of guessing. AppErrors pass through unchanged.
 * - Row values are read defensively: bigint columns arrive as strings from PostgreSQL and as
 *   numbers from SQLite (num()); a JSON column that does not parse reads as its fallback.
 */
import { mapDbError, type Db, type Tx } from '../platform/db/index.ts';
import { AppError } from '../platform/errors.ts';

/** A query target: the database or the caller's transaction. */
export type Q = Db | Tx;
export type Row = Record<string, unknown>;

/** A bigint/integer column as a number (PostgreSQL returns int8 as a string). */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

export function brokerStoreError(e: unknown): AppError {
  const m = mapDbError(e);
  if (m instanceof AppError) return m;
  const code = (e as { code?: string } | null)?.code ?? '';
  if (code === '23505' || /^SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)/.test(code)) {
    return new AppError('ERR_CONFLICT', 'duplicate key', { cause: e });
  }
  return new AppError('ERR_STORE_UNAVAILABLE', 'broker store failed', { cause: e, retryAfter: 5 });
}

export async function guardStore<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw brokerStoreError(e);
  }
}

/** JSON column reader that never throws (a corrupt row reads as the fallback). */
export function parseJson<T>(v: unknown, fallback: T): T {
  if (typeof v !== 'string') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}
