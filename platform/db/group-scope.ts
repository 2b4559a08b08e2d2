/**
 * Per-transaction batching for GroupCommit: a writer that would read-modify-write one hot row per
 * call (the audit head) keeps that state for the whole group transaction instead, and writes it
 * when GroupCommit flushes the scope.
 *
 * Rules:
 * - A scope lives for one transaction attempt of a group (the fast pass, or the savepoint
 *   replay); its participants are dropped with it, so nothing batched in a rolled-back attempt
 *   leaks into the next one.
 * - The fast pass flushes once, after the last caller's work and before COMMIT; a failing flush
 *   counts as a failed caller (the group is replayed). The replay flushes after each caller's
 *   work, inside that caller's savepoint, so a write that fails only fails its own caller.
 * - In the replay every caller's work is bracketed by mark() and, when that caller fails,
 *   restore(): participants created during the failed work are dropped (their reads, and on
 *   PostgreSQL their row locks, went with the savepoint) and the others return to their state
 *   before it. A rejected caller's batched rows are therefore never written.
 * - A flush writes what is pending and keeps the state it leads to (e.g. the new head).
 * - Only the group transaction itself has a scope: using a batched writer in a nested (savepoint)
 *   transaction of a group is refused, since it would read state the batch has not written yet.
 *   Outside GroupCommit (withTx) there is no scope: writers fall back to per-call writes.
 */
import type { Tx } from './knex.ts';

export interface GroupParticipant {
  /** State to come back to if the caller about to run fails. */
  mark(): unknown;
  restore(mark: unknown): void;
  /** Writes what was batched, inside the group transaction, just before COMMIT. */
  flush(trx: Tx): Promise<void>;
}

export type ScopeMark = Map<object, unknown>;

export class GroupScope {
  private readonly parts = new Map<object, GroupParticipant>();

  get<T extends GroupParticipant>(key: object): T | undefined {
    return this.parts.get(key) as T | undefined;
  }

  add<T extends GroupParticipant>(key: object, p: T): T {
    if (this.parts.has(key)) throw new Error('group participant registered twice');
    this.parts.set(key, p);
    return p;
  }

  mark(): ScopeMark {
    const m: ScopeMark = new Map();
    for (const [k, p] of this.parts) m.set(k, p.mark());
    return m;
  }

  restore(m: ScopeMark): void {
    for (const [k, p] of this.parts) {
      if (m.has(k)) p.restore(m.get(k));
      else this.parts.delete(k);
    }
  }

  async flush(trx: Tx): Promise<void> {
    for (const p of this.parts.values()) await p.flush(trx);
  }
}

const scopes = new WeakMap<Tx, GroupScope>();

/** The batching scope of a GroupCommit transaction, or undefined for any other transaction. */
export function groupScope(trx: Tx): GroupScope | undefined {
  const s = scopes.get(trx);
  if (s !== undefined) return s;
  for (let p = parentOf(trx); p !== undefined; p = parentOf(p)) {
    if (scopes.has(p)) throw new Error('batched writers (the audit log) cannot be used in a nested transaction of a group commit');
  }
  return undefined;
}

const parentOf = (trx: Tx): Tx | undefined => (trx as Tx & { parentTransaction?: Tx }).parentTransaction;

/** Runs `work` with a fresh scope bound to trx (GroupCommit only); flushing is the caller's. */
export async function withGroupScope<T>(trx: Tx, work: (scope: GroupScope) => Promise<T>): Promise<T> {
  const scope = new GroupScope();
  scopes.set(trx, scope);
  try {
    return await work(scope);
  } finally {
    scopes.delete(trx);
  }
}
