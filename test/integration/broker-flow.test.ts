/**
 * Broker end to end with real peers (oidc-provider, a self-signed console, the CA): sign-in with
 * TOTP enrolment, what reaches the console (stripped headers, the ES256 assertion verified
 * against the broker's JWKS), step-up with a maximum MFA age, session regeneration, TOTP replay,
 * IdP-trusted MFA (amr), idle expiry, JIT with dual control, an admin kill, and the audit chain.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { verifyAuditDb } from '../../platform/audit/index.ts';
import { SESSION_COOKIE } from '../../ztna-broker/index.ts';
import type { TestBrowser } from './broker-client.ts';
import { csrfOf, passIdp, signInWithTotpEnrolment, submitTotp, totpCode } from './broker-flows.ts';
import { HOSTS, startWorld, type World } from './broker-harness.ts';

const json = (body: string) => JSON.parse(body) as { method: string; url: string; headers: Record<string, string> };

describe('broker flow', () => {
  let w: World;
  let alice: TestBrowser;
  let secret = '';
  let firstCode = '';
  before(async () => {
    w = await startWorld();
    alice = w.browser(w.certs.alice);
  });
  after(() => w.stop());

  test('certificate + OIDC + TOTP enrolment lands on the console URL that was asked for', async () => {
    const r = await signInWithTotpEnrolment(w, alice, 'alice', w.url(HOSTS.cam, '/status?x=1'));
    secret = r.secret;
    firstCode = totpCode(secret, w.now());
    assert.equal(r.reply.status, 200);
    assert.equal(r.reply.url, w.url(HOSTS.cam, '/status?x=1'));
    assert.equal(json(r.reply.body).url, '/status?x=1');
    assert.ok(alice.cookie(HOSTS.cam, SESSION_COOKIE), 'console host got its own session cookie');
    assert.notEqual(alice.cookie(HOSTS.cam, SESSION_COOKIE), alice.cookie(HOSTS.broker, SESSION_COOKIE));
  });

  test('spoofed identity, forwarding and client-certificate headers and broker cookies never reach the console', async () => {
    const r = await alice.request(w.url(HOSTS.cam, '/echo'), {
      headers: {
        'x-forwarded-for': '10.9.9.9',
        forwarded: 'for=10.9.9.9;host=evil',
        'x-real-ip': '10.9.9.9',
        'x-remote-user': 'root',
        x_remote_user: 'root',
        'x-gatehouse-assertion': 'forged',
        'x-gatehouse-user': 'root',
        'x-ssl-client-cert': 'forged',
        'client-cert': ':Zm9v:',
        'x-original-url': '/admin',
        'x-http-method-override': 'DELETE',
        cookie: `${SESSION_COOKIE}=${alice.cookie(HOSTS.cam, SESSION_COOKIE)}; console-pref=dark`,
      },
    });
    assert.equal(r.status, 200, r.body);
    const h = json(r.body).headers;
    for (const name of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-remote-user', 'x_remote_user', 'x-gatehouse-user', 'x-ssl-client-cert', 'client-cert', 'x-original-url', 'x-http-method-override']) {
      assert.equal(h[name], undefined, `${name} must be stripped`);
    }
    assert.equal(h['cookie'], 'console-pref=dark');
    assert.notEqual(h['x-gatehouse-assertion'], 'forged');
    const jwks = JSON.parse((await alice.request(w.url(HOSTS.broker, '/.well-known/gatehouse/jwks.json'))).body);
    const { payload, protectedHeader } = await jwtVerify(h['x-gatehouse-assertion']!, createLocalJWKSet(jwks), { issuer: w.origin(HOSTS.broker), audience: w.origin(HOSTS.cam), algorithms: ['ES256'] });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.email, 'alice@example.com');
    assert.deepEqual(payload.groups, ['ops']);
    assert.deepEqual(payload.amr, ['totp']);
    assert.equal((payload.cnf as Record<string, string>)['x5t#S256'], Buffer.from(w.certs.alice.fingerprint, 'hex').toString('base64url'));
    await assert.rejects(jwtVerify(h['x-gatehouse-assertion']!, createLocalJWKSet(jwks), { audience: w.origin(HOSTS.hvac) }), 'audience-scoped');
  });

  test('step-up through the IdP (prompt=login, max_age=0) for a user whose MFA came from the IdP', async () => {
    const policyFile = join(w.dir, 'policy.yaml');
    const original = readFileSync(policyFile, 'utf8');
    w.broker.reloadPolicy(original.replace('maxAgeSeconds: 120', 'maxAgeSeconds: 5'));
    try {
      const carol = w.browser(w.certs.carol);
      let r = await passIdp(w, carol, w.url(HOSTS.hvac, '/panel'), 'carol');
      assert.equal(r.status, 200, 'fresh IdP MFA (amr otp) is enough');
      await new Promise((res) => setTimeout(res, 6_000));
      r = await carol.request(w.url(HOSTS.hvac, '/panel'));
      assert.equal(r.status, 302);
      assert.match(r.headers.location as string, /\/stepup\?rd=/);
      const authorize = await carol.request(r.headers.location as string);
      const idpUrl = new URL(authorize.headers.location as string);
      assert.equal(idpUrl.searchParams.get('prompt'), 'login');
      assert.equal(idpUrl.searchParams.get('max_age'), '0');
      r = await passIdp(w, carol, idpUrl.href, 'carol');
      assert.equal(r.status, 200, r.body);
      assert.equal(r.url, w.url(HOSTS.hvac, '/panel'));
    } finally {
      w.broker.reloadPolicy(original);
    }
  });

  test('a console cannot plant the broker cookie; hop-by-hop response headers are dropped', async () => {
    const r = await alice.request(w.url(HOSTS.cam, '/set-cookies'));
    assert.equal(r.status, 200);
    assert.deepEqual(r.headers['set-cookie'], ['console-pref=dark; Path=/']);
    assert.equal(r.headers['x-secret-hop'], undefined);
  });

  test('a TOTP code is accepted once: replaying it at the next sign-in is refused', async () => {
    const again = w.browser(w.certs.alice);
    const afterIdp = await passIdp(w, again, w.url(HOSTS.broker, '/'), 'alice');
    assert.equal(new URL(afterIdp.url).pathname, '/mfa');
    const r = await submitTotp(w, again, firstCode);
    assert.equal(r.status, 401);
    assert.match(r.body, /totp-code-reused/);
  });

  test('step-up: an MFA older than the route allows sends the user to verify again, and regenerates the session', async () => {
    assert.equal((await alice.request(w.url(HOSTS.hvac, '/panel'))).status, 302, 'no hvac cookie yet: sign-in redirect');
    let r = await alice.follow(w.url(HOSTS.hvac, '/panel'));
    assert.equal(r.status, 200, r.body);
    const oldBrokerToken = alice.cookie(HOSTS.broker, SESSION_COOKIE);
    const oldHvacToken = alice.cookie(HOSTS.hvac, SESSION_COOKIE)!;
    w.clock.offset += 150_000;
    r = await alice.request(w.url(HOSTS.hvac, '/panel'));
    assert.equal(r.status, 302);
    assert.match(r.headers.location as string, /\/stepup\?rd=/);
    r = await alice.follow(r.headers.location as string);
    assert.equal(new URL(r.url).pathname, '/mfa');
    r = await submitTotp(w, alice, totpCode(secret, w.now() + 30_000));
    assert.equal(r.status, 200, r.body);
    assert.equal(r.url, w.url(HOSTS.hvac, '/panel'));
    assert.notEqual(alice.cookie(HOSTS.broker, SESSION_COOKIE), oldBrokerToken, 'broker token regenerated');
    const stale = w.browser(w.certs.alice);
    stale.setCookie(HOSTS.hvac, SESSION_COOKIE, oldHvacToken);
    assert.equal((await stale.request(w.url(HOSTS.hvac, '/panel'))).status, 302, 'old console token died with the step-up');
  });

  test('IdP MFA (amr) is trusted when configured; an unverified e-mail cannot bind a certificate', async () => {
    const carol = w.browser(w.certs.carol);
    const r = await passIdp(w, carol, w.url(HOSTS.cam, '/hello'), 'carol');
    assert.equal(r.status, 200, r.body);
    assert.equal(json(r.body).url, '/hello');
    const erin = w.browser(w.certs.erin);
    const e = await passIdp(w, erin, w.url(HOSTS.cam, '/'), 'erin');
    assert.equal(e.status, 403);
    assert.match(e.body, /email-not-verified/);
  });

  test('a certificate that belongs to someone else cannot sign in as alice, unless an admin maps it', async () => {
    const m = w.browser(w.certs.mallory);
    const r = await passIdp(w, m, w.url(HOSTS.cam, '/'), 'alice');
    assert.equal(r.status, 403);
    assert.match(r.body, /certificate-user-mismatch/);
    await w.broker.admin.mapCertificate(w.certs.mallory.fingerprint, 'alice', 'test:admin');
    const m2 = w.browser(w.certs.mallory);
    const ok = await passIdp(w, m2, w.url(HOSTS.cam, '/'), 'alice');
    assert.equal(new URL(ok.url).pathname, '/mfa', 'mapped: proceeds to MFA');
    await w.broker.admin.unmapCertificate(w.certs.mallory.fingerprint, 'test:admin');
  });

  test('a session token used with another certificate of the same user is refused', async () => {
    const other = w.browser(w.certs.alice2);
    other.setCookie(HOSTS.cam, SESSION_COOKIE, alice.cookie(HOSTS.cam, SESSION_COOKIE)!);
    const r = await other.request(w.url(HOSTS.cam, '/x'));
    assert.equal(r.status, 302, 'session bound to the certificate fingerprint');
  });

  test('JIT access: requested by alice, refused to alice as approver, approved by bob, then allowed', async () => {
    let r = await alice.follow(w.url(HOSTS.sw, '/ports'));
    assert.equal(r.status, 403);
    assert.match(r.body, /jit-grant-required/);
    const form = await alice.request(w.url(HOSTS.broker, '/access'));
    r = await alice.request(w.url(HOSTS.broker, '/access/request'), { method: 'POST', headers: { origin: w.origin(HOSTS.broker) }, body: new URLSearchParams({ csrf: csrfOf(form.body), route: 'switch', startMinutes: '0', durationMinutes: '2', reason: 'replace uplink' }) });
    assert.equal(r.status, 200, r.body);
    const id = /Request ([0-9a-f]{32}) is waiting/.exec(r.body)?.[1];
    assert.ok(id);
    const bob = w.browser(w.certs.bob);
    const { secret: bobSecret } = await signInWithTotpEnrolment(w, bob, 'bob', w.url(HOSTS.broker, '/access/approvals'));
    assert.ok(bobSecret);
    const page = await bob.request(w.url(HOSTS.broker, '/access/approvals'));
    assert.match(page.body, /replace uplink/);
    const selfApprove = await alice.request(w.url(HOSTS.broker, '/access/decide'), { method: 'POST', headers: { origin: w.origin(HOSTS.broker) }, body: new URLSearchParams({ csrf: csrfOf(form.body), id, decision: 'approve' }) });
    assert.equal(selfApprove.status, 403, 'alice is not an approver');
    r = await bob.request(w.url(HOSTS.broker, '/access/decide'), { method: 'POST', headers: { origin: w.origin(HOSTS.broker) }, body: new URLSearchParams({ csrf: csrfOf(page.body), id, decision: 'approve' }) });
    assert.equal(r.status, 200, r.body);
    r = await alice.follow(w.url(HOSTS.sw, '/ports'));
    assert.equal(r.status, 200, r.body);
    w.clock.offset += 121_000;
    r = await alice.request(w.url(HOSTS.sw, '/ports'));
    assert.equal(r.status, 403, 'the grant expired by itself');
    assert.match(r.body, /jit-grant-required/);
  });

  test('an admin kills a session: every host of it is signed out', async () => {
    assert.ok((await w.broker.admin.killUserSessions('alice', 'test:admin')) >= 1);
    assert.equal((await alice.request(w.url(HOSTS.cam, '/x'))).status, 302);
    assert.equal((await alice.request(w.url(HOSTS.broker, '/'))).status, 303);
  });

  test('idle sessions end; the audit chain verifies and records sessions, decisions with rule ids, grants', async () => {
    const carol = w.browser(w.certs.carol);
    assert.equal((await passIdp(w, carol, w.url(HOSTS.cam, '/'), 'carol')).status, 200);
    w.clock.offset += 16 * 60_000;
    assert.equal((await carol.request(w.url(HOSTS.cam, '/'))).status, 302);
    const v = await verifyAuditDb(w.t.db);
    assert.equal(v.ok, true);
    const rows = (await w.t.db('audit_log').select('action', 'data')) as { action: string; data: string }[];
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['broker.session.start', 'broker.session.mfa', 'broker.session.stepup', 'broker.session.end', 'broker.request.allow', 'broker.request.deny', 'broker.jit.request', 'broker.jit.approve', 'broker.login.denied', 'broker.cert.map']) {
      assert.ok(actions.has(a), `audit has ${a}`);
    }
    assert.ok(rows.some((r) => r.action === 'broker.request.allow' && String(r.data).includes('"rule":"ops-cam"')));
    assert.ok(rows.some((r) => r.action === 'broker.session.end' && String(r.data).includes('"reason":"idle"')));
  });

  test('second-factor lockout per user: wrong codes across sessions lock the user (429), a right code is refused until the lock ends', async () => {
    const wrong = String((Number(totpCode(secret, w.now())) + 500_000) % 1_000_000).padStart(6, '0');
    const statuses: number[] = [];
    let last = { status: 0, body: '' };
    for (let session = 0; session < 2; session++) {
      const b = w.browser(w.certs.alice);
      assert.equal(new URL((await passIdp(w, b, w.url(HOSTS.broker, '/'), 'alice')).url).pathname, '/mfa');
      for (let i = 0; i < 5; i++) {
        last = await submitTotp(w, b, wrong);
        statuses.push(last.status);
      }
    }
    // each session ends at its fifth failure (401); the user's tenth failure locks (429)
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
    assert.match(last.body, /mfa-locked/);
    const locked = w.browser(w.certs.alice);
    await passIdp(w, locked, w.url(HOSTS.broker, '/'), 'alice');
    const refused = await submitTotp(w, locked, totpCode(secret, w.now()));
    assert.equal(refused.status, 429, 'even the right code while locked');
    assert.match(refused.body, /mfa-locked/);
    const rows = (await w.t.db('audit_log').where({ action: 'broker.mfa.locked' }).select('data')) as { data: string }[];
    assert.equal(rows.length, 1);
    w.clock.offset += 15 * 60_000 + 1_000;
    const later = w.browser(w.certs.alice);
    await passIdp(w, later, w.url(HOSTS.broker, '/'), 'alice');
    const ok = await submitTotp(w, later, totpCode(secret, w.now()));
    assert.equal(ok.status, 200, ok.body);
  });
});
