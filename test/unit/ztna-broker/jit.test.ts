/**
 * Just-in-time access with dual control on the real database: window validation, approver
 * groups, never the requester (by sub or e-mail), one decision per request (also under a race),
 * lapsed requests, grants that expire by themselves, and the audit entries.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAppError } from '../../../platform/errors.ts';
import { JitService } from '../../../ztna-broker/jit/service.ts';
import { auditActions, brokerDb, type BrokerDb } from './fixtures.ts';

const alice = { sub: 'alice', email: 'alice@example.com', groups: ['ops'] };
const aliceApprover = { ...alice, groups: ['ops', 'approvers'] };
const aliceAlias = { sub: 'alice-2', email: 'ALICE@example.com', groups: ['approvers'] };
const bob = { sub: 'bob', email: 'bob@example.com', groups: ['approvers'] };
const carol = { sub: 'carol', email: 'carol@example.com', groups: ['approvers'] };
const MIN = 60_000;

describe('JIT', () => {
  let b: BrokerDb;
  let jit: JitService;
  beforeEach(async () => {
    b = await brokerDb();
    jit = new JitService(b.t.db, b.audit, { approverGroups: ['approvers'], maxDurationSeconds: 3600, requestTtlSeconds: 600, cacheMs: 0 }, (id) => id === 'switch', b.now);
  });
  afterEach(() => b.cleanup());

  const ask = (over: Partial<{ routeId: string; notBefore: number; notAfter: number; reason: string }> = {}) =>
    jit.request(alice, { routeId: 'switch', notBefore: b.now(), notAfter: b.now() + 30 * MIN, reason: 'swap uplink', ...over });

  it('validates the request', async () => {
    for (const bad of [{ routeId: 'nope' }, { reason: ' ' }, { reason: 'x'.repeat(501) }, { notAfter: b.now() - 1 }, { notBefore: b.now() + 10 * MIN, notAfter: b.now() + 5 * MIN }, { notAfter: b.now() + 61 * MIN }, { notAfter: Number.NaN }]) {
      await assert.rejects(ask(bad), (e: unknown) => isAppError(e, 'ERR_BAD_INPUT'), JSON.stringify(bad));
    }
    const r = await ask({ notBefore: b.now() - 10 * MIN });
    assert.equal(r.notBefore, b.now(), 'a start in the past is clamped to now');
  });

  it('dual control: never the requester, only approvers, one decision', async () => {
    const r = await ask();
    await assert.rejects(jit.decide(aliceApprover, r.id, 'approve'), (e: unknown) => isAppError(e, 'ERR_JIT_DUAL_CONTROL'));
    await assert.rejects(jit.decide(aliceAlias, r.id, 'approve'), (e: unknown) => isAppError(e, 'ERR_JIT_DUAL_CONTROL'), 'same e-mail, other sub');
    await assert.rejects(jit.decide({ ...alice, sub: 'dave', email: 'dave@example.com' }, r.id, 'approve'), (e: unknown) => isAppError(e, 'ERR_FORBIDDEN'));
    await assert.rejects(jit.decide(bob, 'missing', 'approve'), (e: unknown) => isAppError(e, 'ERR_NOT_FOUND'));
    const both = await Promise.allSettled([jit.decide(bob, r.id, 'approve'), jit.decide(carol, r.id, 'reject')]);
    assert.equal(both.filter((x) => x.status === 'fulfilled').length, 1, 'racing approvers: one decision');
    await assert.rejects(jit.decide(carol, r.id, 'approve'), (e: unknown) => isAppError(e, 'ERR_CONFLICT'));
  });

  it('a grant is active inside its window only and expires by itself', async () => {
    const r = await ask({ notBefore: b.now() + 5 * MIN, notAfter: b.now() + 35 * MIN });
    assert.deepEqual(await jit.activeGrants(alice), []);
    await jit.decide(bob, r.id, 'approve');
    const [g] = await jit.activeGrants(alice);
    assert.deepEqual(g, { routeId: 'switch', user: 'alice', notBefore: r.notBefore, notAfter: r.notAfter });
    b.clock.now += 35 * MIN;
    assert.deepEqual(await jit.activeGrants(alice), [], 'expired without anyone revoking it');
    const actions = await auditActions(b);
    assert.ok(actions.includes('broker.jit.request') && actions.includes('broker.jit.approve'));
  });

  it('a lapsed request cannot be approved; a rejected one grants nothing', async () => {
    const r1 = await ask();
    b.clock.now += 11 * MIN;
    await assert.rejects(jit.decide(bob, r1.id, 'approve'), (e: unknown) => isAppError(e, 'ERR_CONFLICT'));
    assert.deepEqual(await jit.pending(), []);
    const r2 = await ask();
    assert.equal((await jit.pending()).length, 1);
    await jit.decide(bob, r2.id, 'reject');
    assert.deepEqual(await jit.activeGrants(alice), []);
    assert.ok((await auditActions(b)).includes('broker.jit.reject'));
  });
});
