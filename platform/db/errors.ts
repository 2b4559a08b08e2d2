/**
 * Maps driver errors to AppError once, so callers see ERR_STORE_* with Retry-After.
 * SQLite: SQLITE_BUSY/LOCKED -> busy (retry 1 s), SQLITE_FULL/IOERR -> full (retry 30 s).
 * PostgreSQL: 40001/40P01 (serialization/deadlock), 55P03 -> busy; 53100 disk_full, 53200 -> full;
 * connection failures -> unavailable (retry 5 s).
 */
import { AppError } from '../errors.ts';

export function mapDbError(e: unknown): unknown {
  if (e instanceof AppError) return e;
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  const msg = err?.message ?? '';
  if (/^SQLITE_(BUSY|LOCKED)/.test(code) || ['40001', '40P01', '55P03'].includes(code) || /Knex: Timeout acquiring/.test(msg))
    return new AppError('ERR_STORE_BUSY', 'storage is busy, retry shortly', { cause: e, retryAfter: 1 });
  if (/^SQLITE_(FULL|IOERR)/.test(code) || ['53100', '53200'].includes(code))
    return new AppError('ERR_STORE_FULL', 'storage is full or failing; nothing was written', { cause: e, retryAfter: 30 });
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006', '08001'].includes(code) || /Connection terminated/.test(msg))
    return new AppError('ERR_STORE_UNAVAILABLE', 'storage is unavailable', { cause: e, retryAfter: 5 });
  return e;
}
