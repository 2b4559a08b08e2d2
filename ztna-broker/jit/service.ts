/**
 * Just-in-time access with dual control.
 *
 * Rules enforced:
 * - A user requests one route for a bounded window (end after start, end in the future, at
 *   most `maxDurationSeconds` long) with a reason; the route must exist.
 * - Another person decides: the approver must belong to an approver group and must not be
 *   the requester (neither the same `sub` nor the same e-mail) — ERR_JIT_DUAL_CONTROL. A request
 *   is decided once; one that lapsed (older than `requestTtlSeconds` or whose window ended) can
 *   no longer be approved.
 * - A grant expires by itself: it is only ever read as "approved and not_after > now"; nothing
 *   has to run to revoke it.
 * - Request, approval and rejection are audited in the same transaction as the change.
 * - Active grants are cached per user for `cacheMs`; a decision on this node drops the cache.
 */
import type { AuditLog } from '../../platform/audit/index.ts';
import { withTx, type Db } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { JitGrant } from '../policy/index.ts';
import { newId } from '../web/cookies.ts';
import type { SessionUser } from '../sessions/types.ts';
import { jitStore, type JitRequest } from './store.ts';

export interface JitOptions {
  approverGroups: readonly string[];
  maxDurationSeconds: number;
  requestTtlSeconds: number;
  cacheMs: number;
}

export class JitService {
  private readonly cache = new Map<string, { at: number; grants: JitGrant[] }>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly opts: JitOptions,
    private readonly routeExists: (routeId: string) => boolean,
    private readonly now: () => number,
  ) {}

  isApprover(user: SessionUser): boolean {
    return user.groups.some((g) => this.opts.approverGroups.includes(g));
  }

  async request(user: SessionUser, input: { routeId: string; notBefore: number; notAfter: number; reason: string }): Promise<JitRequest> {
    const now = this.now();
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    if (!this.routeExists(input.routeId)) throw new AppError('ERR_BAD_INPUT', 'unknown route');
    if (reason.length === 0 || reason.length > 500) throw new AppError('ERR_BAD_INPUT', 'a reason (1-500 characters) is required');
    if (!Number.isFinite(input.notBefore) || !Number.isFinite(input.notAfter)) throw new AppError('ERR_BAD_INPUT', 'invalid time window');
    const notBefore = Math.max(input.notBefore, now);
    if (input.notAfter <= notBefore) throw new AppError('ERR_BAD_INPUT', 'the window must end after it starts and in the future');
    if (input.notAfter - notBefore > this.opts.maxDurationSeconds * 1000) {
      throw new AppError('ERR_BAD_INPUT', `the window may last at most ${this.opts.maxDurationSeconds} seconds`);
    }
    const req: JitRequest = {
      id: newId(),
      routeId: input.routeId,
      requesterSub: user.sub,
      requesterEmail: user.email,
      reason,
      notBefore,
      notAfter: input.notAfter,
      status: 'pending',
      createdAt: now,
    };
    await withTx(this.db, async (trx) => {
      await jitStore.insert(trx, req);
      await this.audit.append(trx, {
        actor: `user:${user.email}`,
        action: 'broker.jit.request',
        target: `jit:${req.id}`,
        data: { route: req.routeId, notBefore: new Date(notBefore).toISOString(), notAfter: new Date(req.notAfter).toISOString(), reason },
      });
    });
    return req;
  }

  async decide(approver: SessionUser, requestId: string, decision: 'approve' | 'reject'): Promise<JitRequest> {
    if (!this.isApprover(approver)) throw new AppError('ERR_FORBIDDEN', 'not an approver');
    const now = this.now();
    const req = await jitStore.get(this.db, requestId);
    if (req === null) throw new AppError('ERR_NOT_FOUND', 'no such request');
    if (req.requesterSub === approver.sub || req.requesterEmail.toLowerCase() === approver.email.toLowerCase()) {
      throw new AppError('ERR_JIT_DUAL_CONTROL', 'a request must be decided by someone other than the requester');
    }
    if (req.status !== 'pending') throw new AppError('ERR_CONFLICT', 'request already decided');
    if (decision === 'approve' && (req.createdAt + this.opts.requestTtlSeconds * 1000 <= now || req.notAfter <= now)) {
      throw new AppError('ERR_CONFLICT', 'request lapsed');
    }
    const status = decision === 'approve' ? 'approved' : 'rejected';
    await withTx(this.db, async (trx) => {
      if (!(await jitStore.decide(trx, req.id, status, approver, now))) throw new AppError('ERR_CONFLICT', 'request already decided');
      await this.audit.append(trx, {
        actor: `user:${approver.email}`,
        action: decision === 'approve' ? 'broker.jit.approve' : 'broker.jit.reject',
        target: `jit:${req.id}`,
        data: { route: req.routeId, requester: req.requesterEmail, notBefore: new Date(req.notBefore).toISOString(), notAfter: new Date(req.notAfter).toISOString() },
      });
    });
    this.cache.delete(req.requesterSub);
    return { ...req, status };
  }

  pending(): Promise<JitRequest[]> {
    const now = this.now();
    return jitStore.pending(this.db, now - this.opts.requestTtlSeconds * 1000, now);
  }

  mine(user: SessionUser): Promise<JitRequest[]> {
    return jitStore.byRequester(this.db, user.sub);
  }

  /** The user's approved, unexpired grants as policy facts. */
  async activeGrants(user: SessionUser): Promise<JitGrant[]> {
    const now = this.now();
    const c = this.cache.get(user.sub);
    if (c !== undefined && now - c.at <= this.opts.cacheMs) return c.grants;
    const rows = await jitStore.activeFor(this.db, user.sub, now);
    const grants = rows.map((r) => ({ routeId: r.routeId, user: r.requesterSub, notBefore: r.notBefore, notAfter: r.notAfter }));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(user.sub, { at: now, grants });
    return grants;
  }
}
