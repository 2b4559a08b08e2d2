/**
 * Group commit: many callers' small write transactions share one durable commit.
 *
 * Rules:
 * - One caller's failure never fails the others: the group first runs every caller's work in one
 *   transaction without savepoints (the fast path: savepoints cost ~250 us of CPU per issued
 *   certificate on SQLite, ~700 us on PostgreSQL, measured); if any work throws, that
 *   transaction is rolled back and the group is replayed with each caller's work in its own
 *   savepoint (ROLLBACK TO + RELEASE on failure), so only the failing callers are rejected.
 *   Savepoints are plain SQL on the group's transaction, not knex nested transactions (~18 us
 *   vs ~360 us each: knex builds a whole transactor per nesting).
 * - Work functions may therefore run twice and must only write through the transaction they
 *   are given (no side effects outside it before the promise resolves).
 * - Nobody is resolved before the group's COMMIT returned (with SQLite synchronous=FULL or
 *   PostgreSQL synchronous_commit=on, that is after the fsync): a resolved caller's write is
 *   durable. If the COMMIT (or BEGIN) fails, every caller of the group is rejected with the
 *   mapped error (ERR_STORE_*), and none of the group's writes is visible (a transaction a
 *   failed COMMIT left open is ended by the connection layer, knex.ts).
 * - Writers may batch per group (group-scope.ts: the audit log reads its head once per group and
 *   writes it once per fast group); the fast pass flushes the scope before COMMIT (a failing
 *   flush is replayed like failing work), the replay flushes inside each caller's savepoint.
 * - If SQLite already ended the transaction by itself (SQLITE_FULL/IOERR), a failing
 *   ROLLBACK TO fails the group with the caller's error, not with "no such savepoint".
 * - One group is in flight at a time per GroupCommit; callers arriving meanwhile form the next
 *   group, so the group size follows the load (1 when idle, up to maxBatch under load) and an
 *   idle caller pays no added latency.
 * - Work functions must only use the transaction they are given and must not wait on other
 *   callers of the same GroupCommit (that would deadlock the group).
 * - close() waits for queued work and then refuses new work (ERR_STORE_UNAVAILABLE).
 */
import { AppError } from '../errors.ts';
import { mapDbError } from './errors.ts';
import { withGroupScope } from './group-scope.ts';
import type { Db, Tx } from './knex.ts';

interface Op {
  fn: (trx: Tx) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most callers in one transaction (default 256). */
  maxBatch?: number;
}

export interface GroupCommitStats {
  groups: number;
  ops: number;
  largest: number;
  /** Groups replayed with savepoints because some work failed. */
  replays: number;
}

const NO_FAILURE = Symbol('no failure');

export class GroupCommit {
  private queue: Op[] = [];
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly maxBatch: number;
  readonly stats: GroupCommitStats = { groups: 0, ops: 0, largest: 0, replays: 0 };

  constructor(
    private readonly db: Db,
    opts: GroupCommitOptions = {},
  ) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 256);
  }

  /** Runs fn in the next group transaction; resolves (or rejects with its own error) after that group committed. */
  run<T>(fn: (trx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new AppError('ERR_STORE_UNAVAILABLE', 'store is closing', { retryAfter: 5 }));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running) this.running = this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        // let callers woken by the last commit (and pending I/O callbacks) join this group
        await new Promise<void>((r) => setImmediate(r));
        await this.runGroup(this.queue.splice(0, this.maxBatch));
      }
    } finally {
      this.running = null;
    }
  }

  private async runGroup(batch: Op[]): Promise<void> {
    if (await this.runFast(batch)) return;
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      await this.db.transaction((trx) =>
        withGroupScope(trx, async (scope) => {
          for (const op of batch) {
            const mark = scope.mark();
            await trx.raw('SAVEPOINT gc_op');
            try {
              const value = await op.fn(trx);
              await scope.flush(trx);
              await trx.raw('RELEASE SAVEPOINT gc_op');
              results.push({ ok: true, value });
            } catch (error) {
              // a failing rollback-to leaves the transaction unusable: fail the group with the cause
              await trx.raw('ROLLBACK TO SAVEPOINT gc_op').catch(() => Promise.reject(error));
              await trx.raw('RELEASE SAVEPOINT gc_op');
              scope.restore(mark);
              results.push({ ok: false, error });
            }
          }
        }),
      );
    } catch (e) {
      const err = mapDbError(e);
      for (const op of batch) op.reject(err);
      return;
    }
    this.count(batch, true);
    batch.forEach((op, i) => {
      const r = results[i] as (typeof results)[number];
      if (r.ok) op.resolve(r.value);
      else op.reject(mapDbError(r.error));
    });
  }

  /** Whole group in one transaction, no savepoints; false when some work threw (replay needed). */
  private async runFast(batch: Op[]): Promise<boolean> {
    const values: unknown[] = [];
    let workFailed: unknown = NO_FAILURE;
    try {
      await this.db.transaction((trx) =>
        withGroupScope(trx, async (scope) => {
          for (const op of batch) {
            try {
              values.push(await op.fn(trx));
            } catch (e) {
              workFailed = e;
              throw e;
            }
          }
          await scope.flush(trx).catch((e: unknown) => {
            workFailed = e; // batched writes of some caller failed: find out whose in the replay
            throw e;
          });
        }),
      );
    } catch (e) {
      if (workFailed !== NO_FAILURE && batch.length > 1) return false; // replay with savepoints
      const err = mapDbError(e);
      for (const op of batch) op.reject(err);
      return true;
    }
    this.count(batch, false);
    batch.forEach((op, i) => op.resolve(values[i]));
    return true;
  }

  private count(batch: Op[], replayed: boolean): void {
    this.stats.groups++;
    this.stats.ops += batch.length;
    if (replayed) this.stats.replays++;
    if (batch.length > this.stats.largest) this.stats.largest = batch.length;
  }

  /** Waits for every queued caller, then refuses new work. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
  }
}
