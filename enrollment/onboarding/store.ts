/** The only knex user of onboarding: enrollment tokens and pending approval requests. */
import type { Db, Tx } from '../../platform/db/index.ts';

type Q = Db | Tx;

export interface TokenRow {
  hash: string;
  device_id: string;
  created_at: number | string;
  expires_at: number | string;
  used_at: number | string | null;
  used_serial: string | null;
  revoked_at: number | string | null;
}

export interface RequestRow {
  id: string;
  device_id: string | null;
  protocol: string;
  label: string | null;
  claimed_identity: string;
  csr_der: Buffer;
  csr_fingerprint: string;
  status: 'pending' | 'approved' | 'rejected' | 'issued';
  decided_by: string | null;
  issued_serial: string | null;
  issuer_id: string | null;
  created_at: number | string;
  decided_at: number | string | null;
}

export const onboardingStore = {
  async insertToken(trx: Tx, hash: string, deviceId: string, now: number, expires: number): Promise<void> {
    await trx('enroll_tokens').insert({ hash, device_id: deviceId, created_at: now, expires_at: expires });
  },
  async getToken(q: Q, hash: string): Promise<TokenRow | null> {
    return ((await q('enroll_tokens').where({ hash }).first()) as TokenRow | undefined) ?? null;
  },
  /** Marks the token used; returns false when another request used it first. */
  async consumeToken(trx: Tx, hash: string, serial: string, now: number, orphanSerial?: string): Promise<boolean> {
    const n = await trx('enroll_tokens')
      .where({ hash })
      .where((q) => (orphanSerial ? q.whereNull('used_at').orWhere('used_serial', orphanSerial) : q.whereNull('used_at')))
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .update({ used_at: now, used_serial: serial });
    return n === 1;
  },
  async revokeTokens(trx: Tx, deviceId: string, now: number): Promise<number> {
    return trx('enroll_tokens').where({ device_id: deviceId }).whereNull('used_at').whereNull('revoked_at').update({ revoked_at: now });
  },
  async insertRequest(trx: Tx, r: Omit<RequestRow, 'decided_by' | 'issued_serial' | 'issuer_id' | 'decided_at'>): Promise<void> {
    await trx('enroll_requests').insert(r);
  },
  async getRequest(q: Q, id: string, forUpdate = false): Promise<RequestRow | null> {
    let qb = q('enroll_requests').where({ id });
    if (forUpdate) qb = qb.forUpdate();
    return ((await qb.first()) as RequestRow | undefined) ?? null;
  },
  async findRequestByCsr(q: Q, fingerprint: string): Promise<RequestRow | null> {
    return ((await q('enroll_requests').where({ csr_fingerprint: fingerprint }).orderBy('created_at', 'desc').first()) as RequestRow | undefined) ?? null;
  },
  async listRequests(q: Q, status?: string): Promise<RequestRow[]> {
    let qb = q('enroll_requests').orderBy('created_at');
    if (status) qb = qb.where({ status });
    return (await qb) as RequestRow[];
  },
  async decideRequest(trx: Tx, id: string, status: 'approved' | 'rejected', deviceId: string | null, by: string, now: number): Promise<void> {
    await trx('enroll_requests').where({ id }).update({ status, device_id: deviceId, decided_by: by, decided_at: now });
  },
  /**
   * approved -> issued; false when the request is no longer approved (another poll issued it).
   * `orphanSerial`: an issued request whose certificate was never stored may be issued again.
   */
  async markRequestIssued(trx: Tx, id: string, issuerId: string, serial: string, orphanSerial?: string): Promise<boolean> {
    const n = await trx('enroll_requests')
      .where({ id })
      .where((q) => (orphanSerial ? q.where({ status: 'approved' }).orWhere({ status: 'issued', issued_serial: orphanSerial }) : q.where({ status: 'approved' })))
      .update({ status: 'issued', issuer_id: issuerId, issued_serial: serial });
    return n === 1;
  },
};
