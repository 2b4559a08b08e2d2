/**
 * The only knex user of the audit log. Rows <-> AuditEntry / Checkpoint.
 * Rules: entries are written with one multi-row INSERT per chunk (fixed SQL, platform/db/sql.ts);
 * the head row (id 1) carries seq, hash and the last checkpoint and is written once per batch.
 */
import { execute, insertRows, type Db, type Tx } from '../db/index.ts';
import type { AuditEntry, Checkpoint } from './chain.ts';

interface Row {
  seq: number | string;
  ts: string;
  node: string;
  actor: string;
  action: string;
  target: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: Row): AuditEntry => ({
  seq: Number(r.seq),
  ts: r.ts,
  node: r.node,
  actor: r.actor,
  action: r.action,
  target: r.target,
  data: JSON.parse(r.data) as unknown,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export interface Head {
  seq: number;
  hash: string;
  checkpointSeq: number;
  checkpointTs: string | null;
}

const ENTRY_COLUMNS = ['seq', 'ts', 'node', 'actor', 'action', 'target', 'data', 'prev_hash', 'hash'];
const CHECKPOINT_COLUMNS = ['seq', 'hash', 'ts', 'key_id', 'signature'];
const SET_HEAD = 'update audit_head set seq = ?, hash = ?, checkpoint_seq = ?, checkpoint_ts = ? where id = 1';

export const auditStore = {
  async lockHead(trx: Tx): Promise<Head> {
    const r = await trx('audit_head').where({ id: 1 }).forUpdate().first();
    if (!r) throw new Error('audit_head row missing: migrations not applied');
    return { seq: Number(r.seq), hash: r.hash, checkpointSeq: Number(r.checkpoint_seq), checkpointTs: r.checkpoint_ts };
  },
  async readHead(db: Db): Promise<Head> {
    const r = await db('audit_head').where({ id: 1 }).first();
    return { seq: Number(r.seq), hash: r.hash, checkpointSeq: Number(r.checkpoint_seq), checkpointTs: r.checkpoint_ts };
  },
  async insertEntries(trx: Tx, entries: readonly AuditEntry[]): Promise<void> {
    const rows = entries.map((e) => [e.seq, e.ts, e.node, e.actor, e.action, e.target, JSON.stringify(e.data ?? null), e.prevHash, e.hash]);
    await insertRows(trx, 'audit_log', ENTRY_COLUMNS, rows);
  },
  async insertCheckpoints(trx: Tx, cps: readonly Checkpoint[]): Promise<void> {
    await insertRows(trx, 'audit_checkpoints', CHECKPOINT_COLUMNS, cps.map((cp) => [cp.seq, cp.hash, cp.ts, cp.keyId, cp.signature]));
  },
  /** Moves the head to `h` (seq, hash and the last checkpoint). */
  async setHead(trx: Tx, h: Head): Promise<void> {
    await execute(trx, SET_HEAD, [h.seq, h.hash, h.checkpointSeq, h.checkpointTs]);
  },
  async insertCheckpoint(trx: Tx, cp: Checkpoint): Promise<void> {
    await trx('audit_checkpoints').insert({ seq: cp.seq, hash: cp.hash, ts: cp.ts, key_id: cp.keyId, signature: cp.signature });
    await trx('audit_head').where({ id: 1 }).update({ checkpoint_seq: cp.seq, checkpoint_ts: cp.ts });
  },
  async ensureKey(db: Db | Tx, keyId: string, publicPem: string): Promise<void> {
    const found = await db('audit_keys').where({ key_id: keyId }).first();
    if (!found) await db('audit_keys').insert({ key_id: keyId, public_pem: publicPem, created_at: new Date().toISOString() });
  },
  async keys(db: Db): Promise<Array<{ keyId: string; publicPem: string }>> {
    const rows = await db('audit_keys').select();
    return rows.map((r: { key_id: string; public_pem: string }) => ({ keyId: r.key_id, publicPem: r.public_pem }));
  },
  async checkpoints(db: Db): Promise<Checkpoint[]> {
    const rows = await db('audit_checkpoints').orderBy('seq');
    return rows.map((r: { seq: number; hash: string; ts: string; key_id: string; signature: string }) => ({
      seq: Number(r.seq),
      hash: r.hash,
      ts: r.ts,
      keyId: r.key_id,
      signature: r.signature,
    }));
  },
  /** Pages through the log in seq order without holding it all in memory. */
  async *entries(db: Db, pageSize = 2000, filter?: { action?: string; target?: string }): AsyncGenerator<AuditEntry> {
    let after = 0;
    for (;;) {
      let q = db<Row>('audit_log').where('seq', '>', after).orderBy('seq').limit(pageSize);
      if (filter?.action) q = q.where('action', filter.action);
      if (filter?.target) q = q.where('target', filter.target);
      const rows = (await q) as Row[];
      for (const r of rows) yield toEntry(r);
      if (rows.length < pageSize) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  },
};
