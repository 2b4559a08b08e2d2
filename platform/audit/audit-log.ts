/**
 * The audit log service.
 *
 * Rules:
 * - append() takes the caller's transaction: the entry commits with the change it records, or
 *   neither commits. A failed audit write fails the action (the error propagates).
 * - Appends lock the single head row (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE holds
 *   the write lock on SQLite), so several nodes extend one chain without forks.
 * - In a GroupCommit transaction the head is read and locked once per group and the entries and
 *   head are written when the group flushes (platform/db/group-scope.ts: once before COMMIT, or
 *   per caller in the savepoint replay): every change still gets its own chained entry, hashed
 *   exactly as a lone append would; entries of a caller rejected in the replay are dropped with
 *   its savepoint, and the chain stays gap-free.
 * - A signed checkpoint is written in the same transaction every `checkpointEvery` entries, and
 *   by checkpointIfDue() when `checkpointMinutes` passed with new entries.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Db, GroupParticipant, Tx } from '../db/index.ts';
import { groupScope, withTx } from '../db/index.ts';
import { ChainVerifier, entryHash, signCheckpoint, type AuditEntry, type Checkpoint, type VerifyResult } from './chain.ts';
import { auditStore, type Head } from './store.ts';

export interface AuditInput {
  actor: string;
  action: string;
  target?: string | null;
  data?: unknown;
}

export interface AuditOptions {
  nodeId: string;
  key: KeyObject;
  keyId: string;
  checkpointEvery: number;
  checkpointMinutes: number;
  now?: () => Date;
}

export class AuditLog {
  private readonly now: () => Date;
  constructor(
    private readonly db: Db,
    private readonly opts: AuditOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  async init(): Promise<void> {
    const pub = createPublicKey(this.opts.key).export({ type: 'spki', format: 'pem' }).toString();
    await auditStore.ensureKey(this.db, this.opts.keyId, pub);
  }

  async append(trx: Tx, input: AuditInput): Promise<number> {
    const scope = groupScope(trx);
    if (scope === undefined) {
      const batch = new HeadBatch(auditStore.lockHead(trx));
      const seq = await this.appendTo(batch, input);
      await batch.flush(trx);
      return seq;
    }
    let batch = scope.get<HeadBatch>(HEAD_BATCH);
    if (batch === undefined) batch = scope.add(HEAD_BATCH, new HeadBatch(auditStore.lockHead(trx)));
    return this.appendTo(batch, input);
  }

  /** Chains one entry onto the batch's head (synchronous once the head is known). */
  private async appendTo(batch: HeadBatch, input: AuditInput): Promise<number> {
    const head = await batch.head();
    const seq = head.seq + 1;
    const body = {
      ts: this.now().toISOString(),
      node: this.opts.nodeId,
      actor: input.actor,
      action: input.action,
      target: input.target ?? null,
      data: input.data === undefined ? null : JSON.parse(JSON.stringify(input.data, bigintSafe)),
    };
    const hash = entryHash(head.hash, seq, body);
    batch.entries.push({ ...body, seq, prevHash: head.hash, hash });
    head.seq = seq;
    head.hash = hash;
    if (seq - head.checkpointSeq >= this.opts.checkpointEvery) {
      batch.checkpoints.push(signCheckpoint(this.opts.key, this.opts.keyId, seq, hash, body.ts));
      head.checkpointSeq = seq;
      head.checkpointTs = body.ts;
    }
    return seq;
  }

  /** Convenience for changes that are only an audit entry. */
  async record(input: AuditInput): Promise<number> {
    return withTx(this.db, (trx) => this.append(trx, input));
  }

  async checkpointIfDue(force = false): Promise<boolean> {
    return withTx(this.db, async (trx) => {
      const head = await auditStore.lockHead(trx);
      if (head.seq === head.checkpointSeq) return false;
      const last = head.checkpointTs ? Date.parse(head.checkpointTs) : 0;
      if (!force && this.now().getTime() - last < this.opts.checkpointMinutes * 60_000) return false;
      await auditStore.insertCheckpoint(trx, signCheckpoint(this.opts.key, this.opts.keyId, head.seq, head.hash, this.now().toISOString()));
      return true;
    });
  }
}

/** The scope key of the audit head batch (one per group transaction, whichever AuditLog appends). */
const HEAD_BATCH = {};

/** Entries and checkpoints chained onto the head within one transaction, written by flush(). */
class HeadBatch implements GroupParticipant {
  readonly entries: AuditEntry[] = [];
  readonly checkpoints: Checkpoint[] = [];
  private base: Head | undefined;
  private current: Head | undefined;
  private readonly ready: Promise<void>;
  constructor(read: Promise<Head>) {
    this.ready = read.then((h) => {
      this.base = h;
      this.current = { ...h };
    });
    this.ready.catch(() => undefined); // a failed read surfaces through head()
  }

  async head(): Promise<Head> {
    await this.ready;
    return this.current as Head;
  }

  mark(): unknown {
    return { entries: this.entries.length, checkpoints: this.checkpoints.length, head: this.current && { ...this.current } };
  }

  restore(m: unknown): void {
    const mark = m as { entries: number; checkpoints: number; head: Head | undefined };
    this.entries.length = Math.min(this.entries.length, mark.entries);
    this.checkpoints.length = Math.min(this.checkpoints.length, mark.checkpoints);
    const h = mark.head ?? this.base;
    this.current = h && { ...h };
  }

  /** Writes the pending entries, checkpoints and the head they lead to; keeps that head. */
  async flush(trx: Tx): Promise<void> {
    if (this.entries.length === 0 || this.current === undefined) return;
    await auditStore.insertEntries(trx, this.entries);
    if (this.checkpoints.length) await auditStore.insertCheckpoints(trx, this.checkpoints);
    await auditStore.setHead(trx, this.current);
    this.entries.length = 0;
    this.checkpoints.length = 0;
    this.base = { ...this.current };
  }
}

function bigintSafe(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

export async function loadAuditKeys(db: Db): Promise<Map<string, KeyObject>> {
  const keys = new Map<string, KeyObject>();
  for (const k of await auditStore.keys(db)) keys.set(k.keyId, createPublicKey(k.publicPem));
  return keys;
}

/** Recomputes the whole chain from the database and checks every checkpoint and the head. */
export async function verifyAuditDb(db: Db): Promise<VerifyResult> {
  const v = new ChainVerifier(await loadAuditKeys(db));
  for (const cp of await auditStore.checkpoints(db)) v.checkpoint(cp);
  for await (const e of auditStore.entries(db)) v.entry(e);
  const head = await auditStore.readHead(db);
  v.head(head.seq, head.hash);
  return v.result();
}
