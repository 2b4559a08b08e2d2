/**
 * Maps driver errors to AppError once, so callers see ERR_STORE_* with Retry-After.
 *
 * Rules:
 * - SQLite: SQLITE_BUSY*, SQLITE_LOCKED* -> ERR_STORE_BUSY (retry 1 s); SQLITE_FULL, SQLITE_IOERR*
 *   -> ERR_STORE_FULL (retry 30 s).
 * - PostgreSQL: 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available
 *   and a knex pool acquire timeout -> busy; 53100 disk_full, 53200 out_of_memory -> full;
 *   connection failures (ECONNREFUSED/RESET, ETIMEDOUT, 57P01 admin_shutdown, 57P03
 *   cannot_connect_now, 08001/08006, "Connection terminated") -> ERR_STORE_UNAVAILABLE (retry 5 s).
 * - Anything else (and AppErrors) passes through unchanged: callers that recognise a driver
 *   condition themselves still see the driver error.
 * - A unique violation (PostgreSQL 23505, SQLITE_CONSTRAINT_PRIMARYKEY/UNIQUE) is recognised in
 *   this one place (isUniqueViolation); stores turn it into ERR_CONFLICT (conflictOrMapped).
 */
import { AppError } from '../errors.ts';

const codeOf = (e: unknown): string => {
  const c = (e as { code?: unknown } | null | undefined)?.code;
  return typeof c === 'string' ? c : '';
};

export function mapDbError(e: unknown): unknown {
  if (e instanceof AppError) return e;
  const code = codeOf(e);
  const msg = (e as { message?: string } | null | undefined)?.message ?? '';
  if (/^SQLITE_(BUSY|LOCKED)/.test(code) || ['40001', '40P01', '55P03'].includes(code) || /Knex: Timeout acquiring/.test(msg))
    return new AppError('ERR_STORE_BUSY', 'storage is busy, retry shortly', { cause: e, retryAfter: 1 });
  if (/^SQLITE_(FULL|IOERR)/.test(code) || ['53100', '53200'].includes(code))
    return new AppError('ERR_STORE_FULL', 'storage is full or failing; nothing was written', { cause: e, retryAfter: 30 });
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006', '08001'].includes(code) || /Connection terminated/.test(msg))
    return new AppError('ERR_STORE_UNAVAILABLE', 'storage is unavailable', { cause: e, retryAfter: 5 });
  return e;
}

/** True for a driver's duplicate-key error (PostgreSQL 23505, SQLite PRIMARY KEY / UNIQUE). */
export function isUniqueViolation(e: unknown): boolean {
  const code = codeOf(e);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** mapDbError, with a unique violation as ERR_CONFLICT. */
export function conflictOrMapped(e: unknown, message = 'duplicate key'): unknown {
  if (isUniqueViolation(e)) return new AppError('ERR_CONFLICT', message, { cause: e });
  return mapDbError(e);
}
