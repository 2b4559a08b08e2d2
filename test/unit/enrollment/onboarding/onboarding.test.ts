/**
 * Onboarding.enroll bookkeeping on SQLite and PostgreSQL: tokens single use (consumed in the
 * serial-reservation transaction through Grant.onReserve), device lifecycle, approval requests,
 * retirement.
 * Regressions: (1) ca/issue.ts once ignored Grant.onReserve — tokens stayed reusable and devices
 * `approved` after enrollment (fixed in ca/; the tests below pin the contract); (2) concurrent
 * polls of one approved request each got a certificate — now exactly one is issued and the
 * others get ERR_ENROLL_PENDING (poll again), then the issued certificate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAppError } from '../../../../platform/errors.ts';
import { makeCsr } from '../../../helpers/pki.ts';
import { createEnrollEnv } from '../est/harness.ts';
import { Onboarding } from '../../../../enrollment/index.ts';

const tokenEnroll = (token: string) => ({
  csrDer: makeCsr().csrDer,
  credential: { kind: 'token' as const, token },
  protocol: 'est' as const,
  peer: '192.0.2.1',
});

test('a token enrolls once: consumed with the serial, device enrolled, replay audited', async () => {
  const env = await createEnrollEnv();
  try {
    await env.addDevice('dev-1');
    const tok = await env.token('dev-1');
    const out = await env.onboarding.enroll(tokenEnroll(tok));
    assert.equal(out.kind, 'issued');
    assert.equal((await env.inventory.get('dev-1'))?.state, 'enrolled');
    const [row] = await env.t.db('enroll_tokens').where({ device_id: 'dev-1' });
    assert.ok(row.used_at !== null);
    assert.equal(row.used_serial, out.kind === 'issued' ? out.cert.serial : '');
    await assert.rejects(env.onboarding.enroll(tokenEnroll(tok)), (e) => isAppError(e, 'ERR_ENROLL_TOKEN_USED'));
    assert.equal((await env.t.db('audit_log').where({ action: 'enroll.token.replay' })).length, 1);
    assert.equal((await env.pki.ca.listCerts({ deviceId: 'dev-1' })).length, 1);
  } finally {
    await env.cleanup();
  }
});

test('two concurrent requests with one token: exactly one certificate stays valid', async () => {
  const env = await createEnrollEnv();
  try {
    await env.addDevice('dev-1');
    const tok = await env.token('dev-1');
    const results = await Promise.allSettled([
      env.onboarding.enroll(tokenEnroll(tok)),
      env.onboarding.enroll(tokenEnroll(tok)),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const bad = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(bad.length, 1);
    assert.ok(isAppError(bad[0]!.reason, 'ERR_ENROLL_TOKEN_USED'), String(bad[0]!.reason));
    assert.equal((await env.pki.ca.listCerts({ deviceId: 'dev-1', state: 'issued' })).length, 1);
  } finally {
    await env.cleanup();
  }
});

test('token used by someone else between check and reservation: no valid certificate results', async () => {
  const env = await createEnrollEnv();
  try {
    await env.addDevice('dev-1');
    const tok = await env.token('dev-1');
    const real = env.pki.ca;
    // a CA whose issue() lets a concurrent winner consume the token first
    const ca = Object.assign(Object.create(real) as typeof real, {
      issue: async (csr: Buffer, grant: Parameters<typeof real.issue>[1]) => {
        await env.t
          .db('enroll_tokens')
          .where({ device_id: 'dev-1' })
          .update({ used_at: Date.now(), used_serial: 'winner' });
        return real.issue(csr, grant);
      },
    });
    const onb = new Onboarding({
      db: env.t.db,
      audit: env.audit,
      bus: env.bus,
      ca,
      inventory: env.inventory,
      config: env.config,
      idevidAnchors: env.anchors,
    });
    await assert.rejects(onb.enroll(tokenEnroll(tok)), (e) => isAppError(e, 'ERR_ENROLL_TOKEN_USED'));
    const certs = await real.listCerts({ deviceId: 'dev-1' });
    assert.equal(certs.filter((c) => c.state !== 'revoked').length, 0, JSON.stringify(certs.map((c) => c.state)));
    assert.equal((await env.inventory.get('dev-1'))?.state, 'approved');
  } finally {
    await env.cleanup();
  }
});

test('approval request: pending, approved, issued once, then re-served to the same CSR', async () => {
  const env = await createEnrollEnv();
  try {
    await env.addDevice('dev-2', { approve: false });
    const { csrDer } = makeCsr();
    const input = { csrDer, credential: { kind: 'none' as const }, protocol: 'est' as const, peer: '192.0.2.2' };
    const p = await env.onboarding.enroll(input);
    assert.equal(p.kind, 'pending');
    await env.onboarding.decideRequest(p.kind === 'pending' ? p.requestId : '', 'approved', 'dev-2', 'admin');
    const first = await env.onboarding.enroll(input);
    assert.equal(first.kind, 'issued');
    const [req] = await env.onboarding.listRequests('issued');
    assert.equal(req?.issued_serial, first.kind === 'issued' ? first.cert.serial : '');
    const again = await env.onboarding.enroll(input);
    assert.equal(again.kind === 'issued' && again.cert.serial, first.kind === 'issued' && first.cert.serial);
    assert.equal((await env.pki.ca.listCerts({ deviceId: 'dev-2' })).length, 1);
  } finally {
    await env.cleanup();
  }
});

test('concurrent polls of one approved request: one certificate, the others poll again', async () => {
  const env = await createEnrollEnv();
  try {
    await env.addDevice('dev-4', { approve: false });
    const { csrDer } = makeCsr();
    const input = { csrDer, credential: { kind: 'none' as const }, protocol: 'est' as const, peer: '192.0.2.4' };
    const p = await env.onboarding.enroll(input);
    await env.onboarding.decideRequest(p.kind === 'pending' ? p.requestId : '', 'approved', 'dev-4', 'admin');
    const results = await Promise.allSettled([1, 2, 3].map(() => env.onboarding.enroll(input)));
    const issued = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r.value.kind === 'issued' ? r.value.cert.serial : ''));
    for (const r of results)
      if (r.status === 'rejected') assert.ok(isAppError(r.reason, 'ERR_ENROLL_PENDING'), String(r.reason));
    assert.ok(issued.length >= 1);
    assert.equal(new Set(issued).size, 1, 'all answers carry the same certificate');
    assert.equal((await env.pki.ca.listCerts({ deviceId: 'dev-4' })).length, 1);
    const again = await env.onboarding.enroll(input);
    assert.equal(again.kind === 'issued' && again.cert.serial, issued[0]);
  } finally {
    await env.cleanup();
  }
});

test('retire: tokens die, certificates revoked, no more enrollment', async () => {
  const env = await createEnrollEnv();
  try {
    await env.addDevice('dev-3');
    await env.onboarding.enroll(tokenEnroll(await env.token('dev-3')));
    const spare = await env.token('dev-3');
    const r = await env.onboarding.retire('dev-3', 'admin');
    assert.equal(r.revoked.length, 1);
    assert.equal(r.tokensRevoked, 1);
    assert.equal((await env.inventory.get('dev-3'))?.state, 'retired');
    await assert.rejects(env.onboarding.enroll(tokenEnroll(spare)), (e) => isAppError(e, 'ERR_ENROLL_TOKEN_INVALID'));
  } finally {
    await env.cleanup();
  }
});
