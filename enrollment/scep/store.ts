/**
 * The only knex user of enrollment/scep: rows of `scep_transactions` (see migrations.ts).
 *
 * Rules enforced:
 * - insert() reports a duplicate (transactionID, scope) as `false` instead of throwing, so the
 *   caller decides between replay, conflict and takeover (RFC 8894 §3.2.1.1); no statement
 *   ever fails on a duplicate, so writes can share a group commit.
 * - Every state change after the insert is a compare-and-set on updated_at, which every change
 *   bumps: of two nodes taking over (or resuming) the same row, exactly one wins.
 * - Driver errors leave through mapDbError (ERR_STORE_* with Retry-After).
 * - PostgreSQL returns BIGINT as text: numbers are normalised on read.
 */
import { mapDbError, type Db, type Tx } from '../../platform/db/index.ts';

type Q = Db | Tx;

export type ScepTxStatus = 'pending' | 'success' | 'failure';

export interface ScepTxRow {
  transaction_id: string;
  scope: string;
  message_type: number;
  signer_fp: string;
  signer_key_fp: string;
  csr_fp: string;
  csr_der: Buffer;
  label: string | null;
  status: ScepTxStatus;
  issuer_id: string | null;
  serial: string | null;
  fail_info: string | null;
  request_id: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

export type ScepTxPatch = Partial<
  Pick<
    ScepTxRow,
    'status' | 'issuer_id' | 'serial' | 'fail_info' | 'request_id' | 'lease_until' | 'updated_at' | 'signer_fp' | 'signer_key_fp'
  >
>;

const TABLE = 'scep_transactions';

function norm(r: Record<string, unknown> | undefined): ScepTxRow | null {
  if (!r) return null;
  return {
    ...(r as unknown as ScepTxRow),
    message_type: Number(r.message_type),
    csr_der: Buffer.from(r.csr_der as Uint8Array),
    lease_until: r.lease_until === null || r.lease_until === undefined ? null : Number(r.lease_until),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

async function guarded<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw mapDbError(e);
  }
}

export const scepStore = {
  /**
   * Inserts a new row; false when (transaction_id, scope) already exists. ON CONFLICT DO
   * NOTHING rather than catching the unique violation: a failed statement would abort the
   * whole (group-committed) PostgreSQL transaction.
   */
  insert(q: Q, row: ScepTxRow): Promise<boolean> {
    return guarded(async () => {
      const out = await q(TABLE).insert(row).onConflict(['transaction_id', 'scope']).ignore().returning('scope');
      return out.length === 1;
    });
  },

  get(q: Q, transactionId: string, scope: string): Promise<ScepTxRow | null> {
    return guarded(async () => norm(await q(TABLE).where({ transaction_id: transactionId, scope }).first()));
  },

  /** Every row of a transactionID, newest first (a poll picks among scopes). */
  byTransaction(q: Q, transactionId: string): Promise<ScepTxRow[]> {
    return guarded(async () => {
      const rows = (await q(TABLE)
        .where({ transaction_id: transactionId })
        .orderBy('updated_at', 'desc')
        .limit(16)) as Record<string, unknown>[];
      return rows.map((r) => norm(r)!);
    });
  },

  /** Compare-and-set on updated_at (bumped by every change): true when `patch` was applied. */
  update(q: Q, key: { transactionId: string; scope: string }, expectUpdatedAt: number, patch: ScepTxPatch): Promise<boolean> {
    return guarded(async () => {
      const n = await q(TABLE)
        .where({ transaction_id: key.transactionId, scope: key.scope })
        .andWhere('updated_at', expectUpdatedAt)
        .update(patch);
      return n === 1;
    });
  },
};
