/**
 * Transaction helper: runs fn in one transaction and maps driver errors (mapDbError).
 * Everything a change writes — including its audit entry — goes through the same trx,
 * so either all of it is committed or none of it (a failed COMMIT included: knex.ts ends the
 * transaction it leaves open on SQLite).
 */
import type { Db, Tx } from './knex.ts';
import { mapDbError } from './errors.ts';

export async function withTx<T>(db: Db, fn: (trx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(fn);
  } catch (e) {
    throw mapDbError(e);
  }
}
