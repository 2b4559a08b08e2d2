/**
 * Bad input against the running broker: open redirects on login and logout, CSRF on the OIDC
 * callback (missing pre-auth cookie, wrong state, replayed state, certificate swapped
 * mid-login), CSRF on broker forms, and WebSocket upgrades without a session, from a foreign or
 * missing Origin, on a route without WebSocket, or to a denied path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SESSION_COOKIE } from '../../ztna-broker/index.ts';
import { csrfOf, passIdp } from './broker-flows.ts';
import { HOSTS, startWorld, type World } from './broker-harness.ts';
import type { TestBrowser } from './broker-client.ts';
import { echo, openWs } from './broker-ws.ts';

describe('bad input', () => {
  let w: World;
  let carol: TestBrowser;
  before(async () => {
    w = await startWorld();
    carol = w.browser(w.certs.carol);
    assert.equal((await passIdp(w, carol, w.url(HOSTS.cam, '/'), 'carol')).status, 200);
  });
  after(() => w.stop());

  const evil = (port: number) => [
    'https://evil.example/',
    '//evil.example/',
    '/\\evil.example/',
    '/%2F%2Fevil.example/',
    `https://evil.example@${HOSTS.broker}:${port}/`,
    `https://${HOSTS.broker}:${port}@evil.example/`,
    `https://${HOSTS.cam}.evil.example:${port}/`,
    `https://${HOSTS.cam}:${port + 1}/`,
    `http://${HOSTS.cam}:${port}/`,
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    `https://${HOSTS.cam}:${port}/%2F%2Fevil.example`,
    ' https://evil.example/',
    'https:evil.example',
  ];

  test('open redirects on /login are refused: the browser stays on the broker', async () => {
    for (const rd of evil(w.port)) {
      const r = await carol.request(w.url(HOSTS.broker, `/login?rd=${encodeURIComponent(rd)}`));
      assert.equal(r.status, 303, rd);
      assert.equal(r.headers.location, '/', `rd=${rd} must not redirect off the broker`);
    }
    const ok = await carol.request(w.url(HOSTS.broker, `/login?rd=${encodeURIComponent(w.url(HOSTS.cam, '/x?y=1'))}`));
    assert.equal(ok.headers.location, `/handoff?rd=${encodeURIComponent(w.url(HOSTS.cam, '/x?y=1'))}`);
  });

  test('an open redirect carried through the IdP lands on the broker home', async () => {
    const fresh = w.browser(w.certs.carol);
    const r = await passIdp(w, fresh, w.url(HOSTS.broker, `/login?rd=${encodeURIComponent('https://evil.example/')}`), 'carol');
    assert.equal(r.url, w.url(HOSTS.broker, '/'));
    assert.ok(fresh.hops.every((h) => !String(h.location ?? '').includes('evil.example')));
  });

  test('open redirects on /logout and /handoff are refused', async () => {
    const fresh = w.browser(w.certs.carol);
    await passIdp(w, fresh, w.url(HOSTS.broker, '/'), 'carol');
    const form = await fresh.request(w.url(HOSTS.broker, `/logout?rd=${encodeURIComponent('https://evil.example/')}`));
    assert.equal(form.status, 200);
    assert.doesNotMatch(form.body, /evil\.example/);
    const h = await fresh.request(w.url(HOSTS.broker, `/handoff?rd=${encodeURIComponent('https://evil.example/')}`));
    assert.equal(h.headers.location, '/');
    const out = await fresh.request(w.url(HOSTS.broker, '/logout'), { method: 'POST', headers: { origin: w.origin(HOSTS.broker) }, body: new URLSearchParams({ csrf: csrfOf(form.body), rd: 'https://evil.example/' }) });
    assert.equal(out.status, 200);
    assert.equal(out.headers.location, undefined);
    assert.match(out.body, /signed out/i);
    assert.equal(fresh.cookie(HOSTS.broker, SESSION_COOKIE), undefined);
  });

  test('CSRF on the OIDC callback: no pre-auth cookie, wrong state, replayed state, swapped certificate', async () => {
    const b = w.browser(w.certs.carol);
    let r = await b.request(w.url(HOSTS.broker, '/callback?code=attacker-code&state=attacker-state'));
    assert.equal(r.status, 400);
    assert.match(r.body, /login-state-missing/);
    r = await b.request(w.url(HOSTS.broker, '/login'));
    const state = new URL(r.headers.location as string).searchParams.get('state');
    assert.ok(state);
    const loginCookie = b.cookie(HOSTS.broker, '__Host-gatehouse-login')!;
    r = await b.request(w.url(HOSTS.broker, '/callback?code=attacker-code&state=attacker-state'));
    assert.equal(r.status, 400);
    assert.match(r.body, /login-state-mismatch/);
    b.setCookie(HOSTS.broker, '__Host-gatehouse-login', loginCookie);
    r = await b.request(w.url(HOSTS.broker, `/callback?code=x&state=${state}`));
    assert.equal(r.status, 400);
    assert.match(r.body, /login-state-invalid/, 'a login state is single use');
    const a = w.browser(w.certs.carol);
    r = await a.request(w.url(HOSTS.broker, '/login'));
    const s2 = new URL(r.headers.location as string).searchParams.get('state');
    const swapped = w.browser(w.certs.bob);
    swapped.setCookie(HOSTS.broker, '__Host-gatehouse-login', a.cookie(HOSTS.broker, '__Host-gatehouse-login')!);
    r = await swapped.request(w.url(HOSTS.broker, `/callback?code=x&state=${s2}`));
    assert.equal(r.status, 403);
    assert.match(r.body, /certificate-changed-during-login/);
  });

  test('broker forms refuse a missing CSRF token and a cross-site Origin', async () => {
    const r1 = await carol.request(w.url(HOSTS.broker, '/access/request'), { method: 'POST', headers: { origin: w.origin(HOSTS.broker) }, body: new URLSearchParams({ route: 'switch', durationMinutes: '5', reason: 'x' }) });
    assert.equal(r1.status, 403);
    assert.match(r1.body, /csrf-check-failed/);
    const page = await carol.request(w.url(HOSTS.broker, '/access'));
    const r2 = await carol.request(w.url(HOSTS.broker, '/access/request'), { method: 'POST', headers: { origin: 'https://evil.example' }, body: new URLSearchParams({ csrf: csrfOf(page.body), route: 'switch', durationMinutes: '5', reason: 'x' }) });
    assert.equal(r2.status, 403);
    assert.match(r2.body, /csrf-check-failed/);
  });

  test('a client that disconnects mid-request does not disturb the broker', async () => {
    const { request } = await import('node:https');
    const cookie = `${SESSION_COOKIE}=${carol.cookie(HOSTS.cam, SESSION_COOKIE)}`;
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port: w.port, servername: HOSTS.cam, path: '/slow', headers: { host: `${HOSTS.cam}:${w.port}`, cookie }, ca: w.caPem, cert: w.certs.carol.chainPem, key: w.certs.carol.keyPem, agent: false });
        req.on('error', () => resolve());
        req.end();
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
    }
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await carol.request(w.url(HOSTS.cam, '/after-abort'))).status, 200);
  });

  test('WebSocket: no session, foreign or missing Origin, route without WebSocket, denied path -> refused', async () => {
    const cookie = `${SESSION_COOKIE}=${carol.cookie(HOSTS.cam, SESSION_COOKIE)}`;
    const cases = [
      { name: 'no session', o: { host: HOSTS.cam, path: '/ws', cert: w.certs.carol }, status: 401, reason: 'session-missing' },
      { name: 'no certificate', o: { host: HOSTS.cam, path: '/ws', cert: null, cookie }, status: 403, reason: 'certificate-missing' },
      { name: 'foreign origin', o: { host: HOSTS.cam, path: '/ws', cert: w.certs.carol, cookie, origin: 'https://evil.example' }, status: 403, reason: 'origin-not-allowed' },
      { name: 'sibling origin', o: { host: HOSTS.cam, path: '/ws', cert: w.certs.carol, cookie, origin: w.origin(HOSTS.hvac) }, status: 403, reason: 'origin-not-allowed' },
      { name: 'no origin', o: { host: HOSTS.cam, path: '/ws', cert: w.certs.carol, cookie, origin: null }, status: 403, reason: 'origin-not-allowed' },
      { name: 'denied path', o: { host: HOSTS.cam, path: '/admin/ws', cert: w.certs.carol, cookie }, status: 403, reason: 'denied-by-rule:deny-admin-paths' },
    ];
    for (const c of cases) {
      const before = w.upstream.received.length;
      const r = await openWs(w, c.o);
      assert.equal(r.open, false, c.name);
      if (r.open) continue;
      assert.equal(r.status, c.status, `${c.name}: ${r.body}`);
      assert.match(r.body, new RegExp(c.reason), c.name);
      assert.equal(w.upstream.received.length, before, `${c.name}: nothing reached the console`);
    }
    const hvacCookie = `${SESSION_COOKIE}=${(await carol.follow(w.url(HOSTS.hvac, '/')), carol.cookie(HOSTS.hvac, SESSION_COOKIE))}`;
    const noWs = await openWs(w, { host: HOSTS.hvac, path: '/ws', cert: w.certs.carol, cookie: hvacCookie });
    assert.equal(noWs.open, false);
    if (!noWs.open) assert.match(noWs.body, /websocket-not-allowed/);
    const ok = await openWs(w, { host: HOSTS.cam, path: '/ws', cert: w.certs.carol, cookie });
    assert.equal(ok.open, true);
    if (ok.open) {
      assert.equal(await echo(ok.ws, 'hi'), 'echo:hi');
      ok.ws.close();
    }
    const up = w.upstream.received.find((r) => r.method === 'UPGRADE');
    assert.ok(up?.headers['x-gatehouse-assertion'], 'the upgrade carries the assertion');
    assert.equal(up?.headers.cookie, undefined, 'broker cookie stripped from the upgrade');
  });
});
