/**
 * Server-side sessions on the real database (SQLite, or PostgreSQL with GATEHOUSE_TEST_DB=pg):
 * host- and certificate-bound tokens, idle and absolute lifetimes, regeneration, end/kill with
 * audit and the broker.session.killed event, single-use login states and hand-offs.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../../platform/log.ts';
import { SessionService } from '../../../ztna-broker/sessions/service.ts';
import { hashToken } from '../../../ztna-broker/web/cookies.ts';
import { auditActions, brokerDb, type BrokerDb } from './fixtures.ts';

const BROKER = 'broker.gatehouse.test';
const FP = 'ab'.repeat(32);
const user = { sub: 'u-1', email: 'alice@example.com', groups: ['ops'] };
const cert = { fingerprint: FP, issuerId: 'iss-1', serial: '1f' };

describe('sessions', () => {
  let b: BrokerDb;
  let s: SessionService;
  beforeEach(async () => {
    b = await brokerDb();
    s = new SessionService({ db: b.t.db, audit: b.audit, bus: b.bus, log: silentLogger(), now: b.now, brokerHost: BROKER, limits: { idleSeconds: 600, absoluteSeconds: 3600, cacheMs: 0, touchIntervalSeconds: 1 } });
  });
  afterEach(() => b.cleanup());

  it('a token opens its session only on its host and with its certificate', async () => {
    const { session, token } = await s.start({ user, idpAmr: ['pwd'], cert, mfa: null });
    assert.equal(session.stage, 'mfa');
    const ok = await s.resolve(token, BROKER, FP);
    assert.equal(ok.ok, true);
    assert.deepEqual(await s.resolve(token, 'cam.gatehouse.test', FP), { ok: false, reason: 'session-invalid' });
    assert.deepEqual(await s.resolve(token, BROKER, 'cd'.repeat(32)), { ok: false, reason: 'session-certificate-mismatch' });
    assert.deepEqual(await s.resolve(null, BROKER, FP), { ok: false, reason: 'session-missing' });
    assert.deepEqual(await s.resolve('x'.repeat(43), BROKER, FP), { ok: false, reason: 'session-invalid' });
    const row = (await b.t.db('broker_session_tokens').first()) as { token_hash: string };
    assert.equal(row.token_hash, hashToken(token), 'only the hash is stored');
  });

  it('idle and absolute lifetimes end the session (audited)', async () => {
    const { token } = await s.start({ user, idpAmr: [], cert, mfa: { method: 'idp', at: 1 } });
    b.clock.now += 599_000;
    assert.equal((await s.resolve(token, BROKER, FP)).ok, true, 'activity resets idle');
    b.clock.now += 599_000;
    assert.equal((await s.resolve(token, BROKER, FP)).ok, true);
    b.clock.now += 601_000;
    assert.deepEqual(await s.resolve(token, BROKER, FP), { ok: false, reason: 'session-idle' });
    const second = await s.start({ user, idpAmr: [], cert, mfa: null });
    for (let i = 1; i <= 7; i++) {
      b.clock.now += 500_000;
      assert.equal((await s.resolve(second.token, BROKER, FP)).ok, true, `alive after ${i * 500} s`);
    }
    b.clock.now += 200_000;
    assert.deepEqual(await s.resolve(second.token, BROKER, FP), { ok: false, reason: 'session-expired' }, 'absolute lifetime, however active');
    assert.deepEqual(await s.resolve(second.token, BROKER, FP), { ok: false, reason: 'session-invalid' }, 'and it is gone');
    const actions = await auditActions(b);
    assert.equal(actions.filter((a) => a === 'broker.session.end').length, 2);
  });

  it('regenerate kills every old token and mints one broker-host token', async () => {
    const { session, token } = await s.start({ user, idpAmr: [], cert, mfa: null });
    const console = await s.mintToken(session.id, 'cam.gatehouse.test');
    assert.equal((await s.resolve(console, 'cam.gatehouse.test', FP)).ok, true);
    const fresh = await s.regenerate(session, { stage: 'active', mfa: { method: 'totp', at: 5 } }, 'broker.session.mfa');
    assert.equal((await s.resolve(token, BROKER, FP)).ok, false);
    assert.equal((await s.resolve(console, 'cam.gatehouse.test', FP)).ok, false);
    const r = await s.resolve(fresh, BROKER, FP);
    assert.ok(r.ok && r.session.stage === 'active' && r.session.mfa?.method === 'totp');
    assert.ok((await auditActions(b)).includes('broker.session.mfa'));
  });

  it('end deletes the session and announces broker.session.killed', async () => {
    const { session, token } = await s.start({ user, idpAmr: [], cert, mfa: null });
    const killed: string[] = [];
    b.bus.subscribe('broker.session.killed', (e) => void killed.push(e.sessionId));
    assert.equal(await s.end(session.id, 'admin:bob', 'killed'), true);
    assert.equal(await s.end(session.id, 'admin:bob', 'killed'), false);
    assert.deepEqual(killed, [session.id]);
    assert.equal((await s.resolve(token, BROKER, FP)).ok, false);
    assert.equal(await s.get(session.id), null);
  });

  it('login states and hand-offs are single use, even under a race', async () => {
    const st = { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/', certFingerprint: FP, purpose: 'login' as const, expiresAt: b.now() + 1000 };
    await s.storeLogin('h1', st);
    const both = await Promise.all([s.takeLogin('h1'), s.takeLogin('h1')]);
    assert.equal(both.filter((x) => x !== null).length, 1);
    const { session } = await s.start({ user, idpAmr: [], cert, mfa: null });
    await s.storeHandoff('c1', { sessionId: session.id, host: 'cam.gatehouse.test', returnPath: '/x', certFingerprint: FP, expiresAt: b.now() + 1000 });
    assert.equal((await s.takeHandoff('c1'))?.returnPath, '/x');
    assert.equal(await s.takeHandoff('c1'), null);
  });

  it('purgeExpired removes dead sessions with their tokens', async () => {
    await s.start({ user, idpAmr: [], cert, mfa: null });
    b.clock.now += 3_700_000;
    assert.equal(await s.purgeExpired(), 1);
    assert.equal(((await b.t.db('broker_session_tokens').count('* as n')) as { n: number | string }[])[0]!.n, b.t.kind === 'pg' ? '0' : 0);
  });
});
