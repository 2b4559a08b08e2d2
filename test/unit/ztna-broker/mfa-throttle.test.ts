/**
 * authn/throttle.ts: the per-user second-factor lockout across sessions, on the real database
 * (SQLite, or PostgreSQL with GATEHOUSE_TEST_DB=pg).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAppError } from '../../../platform/errors.ts';
import { MfaThrottle } from '../../../ztna-broker/authn/throttle.ts';
import { auditActions, brokerDb, type BrokerDb } from './fixtures.ts';

const alice = { sub: 'u-alice', email: 'alice@example.com' };
const bob = { sub: 'u-bob', email: 'bob@example.com' };
const config = { maxFailures: 3, windowSeconds: 900, lockSeconds: 600 };

describe('MFA lockout per user', () => {
  let b: BrokerDb;
  let th: MfaThrottle;
  beforeEach(async () => {
    b = await brokerDb();
    th = new MfaThrottle({ db: b.t.db, audit: b.audit, config, now: b.now });
  });
  afterEach(() => b.cleanup());

  it('locks after maxFailures within the window, refuses while locked, audits once, and opens again after lockSeconds', async () => {
    await th.assertOpen(alice.sub);
    assert.equal(await th.failure(alice), false);
    assert.equal(await th.failure(alice), false);
    assert.equal(await th.failure(alice), true, 'the third failure locks');
    await assert.rejects(th.assertOpen(alice.sub), (e: unknown) => isAppError(e, 'ERR_MFA_LOCKED') && e.retryAfter === 600);
    await th.assertOpen(bob.sub); // per user
    assert.deepEqual((await auditActions(b)).filter((a) => a === 'broker.mfa.locked'), ['broker.mfa.locked']);
    b.clock.now += 599_000;
    await assert.rejects(th.assertOpen(alice.sub), (e: unknown) => isAppError(e, 'ERR_MFA_LOCKED') && e.retryAfter === 1);
    b.clock.now += 1_000;
    await th.assertOpen(alice.sub);
    assert.equal(await th.failure(alice), false, 'after the lock a new window starts at one');
  });

  it('failures older than the window do not count, and a success clears the count', async () => {
    await th.failure(alice);
    await th.failure(alice);
    b.clock.now += 901_000;
    assert.equal(await th.failure(alice), false, 'the window expired: this is failure one again');
    assert.equal(await th.failure(alice), false);
    await th.success(alice.sub);
    assert.equal(await th.failure(alice), false);
    assert.equal(await th.failure(alice), false);
    assert.equal(await th.failure(alice), true);
  });

  it('concurrent failures of one user from several requests are all counted', async () => {
    const many = new MfaThrottle({ db: b.t.db, audit: b.audit, config: { ...config, maxFailures: 50 }, now: b.now });
    const locks = await Promise.all(Array.from({ length: 10 }, () => many.failure(alice)));
    assert.equal(locks.filter(Boolean).length, 0);
    const row = (await b.t.db('broker_mfa_failures').where({ user_sub: alice.sub }).first()) as { failures: number | string };
    assert.equal(Number(row.failures), 10);
  });
});
