/**
 * The only knex user for just-in-time access requests and their decisions.
 *
 * Rules enforced:
 * - A request leaves `pending` exactly once: decide() updates `WHERE status = 'pending'` and
 *   only the caller whose update changed the row records the decision (two approvers racing
 *   cannot both decide).
 * - Active grants are approved requests whose window has not ended (not_after > now); the
 *   window start is checked by the policy evaluation (JitGrant.notBefore).
 * - Driver errors leave as ERR_STORE_* (store-errors.ts).
 */
import type { Tx } from '../../platform/db/index.ts';
import { guardStore, num, type Q, type Row } from '../store-errors.ts';

export type JitStatus = 'pending' | 'approved' | 'rejected';

export interface JitRequest {
  id: string;
  routeId: string;
  requesterSub: string;
  requesterEmail: string;
  reason: string;
  notBefore: number;
  notAfter: number;
  status: JitStatus;
  createdAt: number;
}

function toRequest(r: Row): JitRequest {
  return {
    id: r.id as string,
    routeId: r.route_id as string,
    requesterSub: r.requester_sub as string,
    requesterEmail: r.requester_email as string,
    reason: r.reason as string,
    notBefore: num(r.not_before),
    notAfter: num(r.not_after),
    status: r.status as JitStatus,
    createdAt: num(r.created_at),
  };
}

export const jitStore = {
  insert: (q: Q, j: JitRequest) =>
    guardStore(async () => {
      await q('broker_jit_requests').insert({
        id: j.id,
        route_id: j.routeId,
        requester_sub: j.requesterSub,
        requester_email: j.requesterEmail,
        reason: j.reason,
        not_before: j.notBefore,
        not_after: j.notAfter,
        status: j.status,
        created_at: j.createdAt,
      });
    }),

  get: (q: Q, id: string) =>
    guardStore(async () => {
      const r = (await q('broker_jit_requests').where({ id }).first()) as Row | undefined;
      return r ? toRequest(r) : null;
    }),

  /** Moves a pending request to approved/rejected; false when it was no longer pending. */
  decide: (trx: Tx, id: string, status: 'approved' | 'rejected', approver: { sub: string; email: string }, now: number) =>
    guardStore(async () => {
      const n = await trx('broker_jit_requests').where({ id, status: 'pending' }).update({ status });
      if (n !== 1) return false;
      await trx('broker_jit_approvals').insert({
        request_id: id,
        approver_sub: approver.sub,
        approver_email: approver.email,
        decision: status === 'approved' ? 'approve' : 'reject',
        decided_at: now,
      });
      return true;
    }),

  pending: (q: Q, createdAfter: number, now: number, limit = 200) =>
    guardStore(async () => {
      const rows = (await q('broker_jit_requests')
        .where({ status: 'pending' })
        .andWhere('created_at', '>', createdAfter)
        .andWhere('not_after', '>', now)
        .orderBy('created_at')
        .limit(limit)) as Row[];
      return rows.map(toRequest);
    }),

  byRequester: (q: Q, sub: string, limit = 50) =>
    guardStore(async () => {
      const rows = (await q('broker_jit_requests').where({ requester_sub: sub }).orderBy('created_at', 'desc').limit(limit)) as Row[];
      return rows.map(toRequest);
    }),

  activeFor: (q: Q, sub: string, now: number) =>
    guardStore(async () => {
      const rows = (await q('broker_jit_requests').where({ requester_sub: sub, status: 'approved' }).andWhere('not_after', '>', now)) as Row[];
      return rows.map(toRequest);
    }),

  approvals: (q: Q, requestId: string) =>
    guardStore(async () => {
      const rows = (await q('broker_jit_approvals').where({ request_id: requestId })) as Row[];
      return rows.map((r) => ({ approverSub: r.approver_sub as string, approverEmail: r.approver_email as string, decision: r.decision as string, decidedAt: num(r.decided_at) }));
    }),
};
