/**
 * The only knex user for CoA/Disconnect attempts (table radius_coa_attempts, migrations.ts).
 *
 * Rules:
 * - claim() inserts the (session, trigger) row as `pending`; a unique-key violation means another
 *   node already owns this attempt and returns false (nodes share one PostgreSQL, events reach all).
 * - finish() records the outcome and the number of attempts; `ack` is written only for an ACK.
 */
import type { Db } from '../../platform/db/index.ts';

const T = 'radius_coa_attempts';

export interface AttemptClaim {
  nasName: string;
  acctSessionId: string;
  deviceId: string | null;
  trigger: string;
  mode: string;
  destination: string;
  nodeId: string;
  createdAt: number;
}

export interface AttemptRow {
  id: number;
  nasName: string;
  acctSessionId: string;
  deviceId: string | null;
  trigger: string;
  mode: string;
  status: string;
  attempts: number;
  errorCause: number | null;
}

function isUnique(e: unknown): boolean {
  const c = (e as { code?: string })?.code ?? '';
  return c === '23505' || /^SQLITE_CONSTRAINT/.test(c);
}

export const attemptStore = {
  /** The new row id, or null when another node already claimed this (session, trigger). */
  async claim(db: Db, a: AttemptClaim): Promise<number | null> {
    try {
      const rows = (await db(T)
        .insert({
          nas_name: a.nasName,
          acct_session_id: a.acctSessionId,
          device_id: a.deviceId,
          trigger: a.trigger.slice(0, 200),
          mode: a.mode,
          destination: a.destination,
          status: 'pending',
          attempts: 0,
          node_id: a.nodeId,
          created_at: a.createdAt,
        })
        .returning('id')) as Array<{ id: number } | number>;
      const first = rows[0];
      return typeof first === 'object' ? Number(first.id) : Number(first);
    } catch (e) {
      if (isUnique(e)) return null;
      throw e;
    }
  },

  async finish(
    db: Db,
    id: number,
    status: string,
    attempts: number,
    errorCause: number | null,
    at: number,
  ): Promise<void> {
    await db(T).where({ id }).update({ status, attempts, error_cause: errorCause, finished_at: at });
  },

  async byDevice(db: Db, deviceId: string): Promise<AttemptRow[]> {
    const rows = (await db(T).where({ device_id: deviceId }).orderBy('id')) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r.id),
      nasName: String(r.nas_name),
      acctSessionId: String(r.acct_session_id),
      deviceId: (r.device_id as string | null) ?? null,
      trigger: String(r.trigger),
      mode: String(r.mode),
      status: String(r.status),
      attempts: Number(r.attempts),
      errorCause: r.error_cause === null || r.error_cause === undefined ? null : Number(r.error_cause),
    }));
  },
};
