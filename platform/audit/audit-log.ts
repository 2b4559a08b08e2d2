/**
 * The audit log service.
 *
 * Rules:
 * - append() takes the caller's transaction: the entry commits with the change it records, or
 *   neither commits. A failed audit write fails the action (the error propagates).
 * - Appends lock the single head row (SELECT ... FOR UPDATE on PostgreSQL), so several nodes
 *   extend one chain without forks.
 * - A signed checkpoint is written in the same transaction every `checkpointEvery` entries, and
 *   by checkpointIfDue() when `checkpointMinutes` passed with new entries.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Db, Tx } from '../db/index.ts';
import { withTx } from '../db/index.ts';
import { ChainVerifier, entryHash, signCheckpoint, type AuditEntry, type VerifyResult } from './chain.ts';
import { auditStore } from './store.ts';

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
    const head = await auditStore.lockHead(trx);
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
    const entry: AuditEntry = { ...body, seq, prevHash: head.hash, hash };
    await auditStore.insert(trx, entry);
    await auditStore.setHead(trx, seq, hash);
    if (seq - head.checkpointSeq >= this.opts.checkpointEvery) {
      await auditStore.insertCheckpoint(trx, signCheckpoint(this.opts.key, this.opts.keyId, seq, hash, body.ts));
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
