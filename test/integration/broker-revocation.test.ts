/**
 * Revocation while connections are open: a keep-alive HTTPS connection and a WebSocket through
 * the broker are both cut when the client certificate is revoked, TLS ticket keys rotate, the
 * next request is refused with 'certificate-revoked', and the chain of audit entries holds.
 * An admin kill likewise closes the session's WebSocket.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyAuditDb } from '../../platform/audit/index.ts';
import { SESSION_COOKIE } from '../../ztna-broker/index.ts';
import { TestBrowser } from './broker-client.ts';
import { passIdp } from './broker-flows.ts';
import { HOSTS, startWorld, type World } from './broker-harness.ts';
import { echo, openWs } from './broker-ws.ts';

/** Resolves when the event fires; rejects after `ms` (the spec's deadline, not a benchmark). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what} not within ${ms} ms`)))]);
}

describe('revocation cuts live connections', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(() => w.stop());

  test('keep-alive HTTP and WebSocket are closed on revocation; the next request is refused', async (t) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const b = new TestBrowser({ cert: w.certs.carol, ca: w.caPem, ports: w.ports, agent });
    assert.equal((await passIdp(w, b, w.url(HOSTS.cam, '/one'), 'carol')).status, 200);
    assert.equal((await b.request(w.url(HOSTS.cam, '/two'))).status, 200);
    const kept = Object.entries(agent.freeSockets).find(([key]) => key.includes(HOSTS.cam))?.[1]?.[0];
    assert.ok(kept, 'a keep-alive connection is open');
    const ws = await openWs(w, { host: HOSTS.cam, path: '/ws', cert: w.certs.carol, cookie: `${SESSION_COOKIE}=${b.cookie(HOSTS.cam, SESSION_COOKIE)}` });
    assert.equal(ws.open, true);
    if (!ws.open) return;
    assert.equal(await echo(ws.ws, 'before'), 'echo:before');
    const keysBefore = w.broker.server.getTicketKeys();

    const closedWs = once(ws.ws, 'close');
    const closedKeepAlive = once(kept, 'close');
    const t0 = Date.now();
    await w.pki.ca.revoke(w.certs.carol.serial, 'keyCompromise', { actor: 'test:admin' });
    await within(Promise.all([closedWs, closedKeepAlive]), 2_000, 'connections closed');
    const elapsed = Date.now() - t0;
    assert.ok(!w.broker.server.getTicketKeys().equals(keysBefore), 'ticket keys rotated');

    const r = await b.request(w.url(HOSTS.cam, '/three'));
    assert.equal(r.status, 403);
    assert.match(r.body, /certificate-revoked/);
    const again = await openWs(w, { host: HOSTS.cam, path: '/ws', cert: w.certs.carol, cookie: `${SESSION_COOKIE}=${b.cookie(HOSTS.cam, SESSION_COOKIE)}` });
    assert.equal(again.open, false);
    agent.destroy();
    assert.equal((await verifyAuditDb(w.t.db)).ok, true);
    t.diagnostic(`revocation -> connections closed in ${elapsed} ms`);
  });

  test('an admin kill closes the session WebSocket and signs every host out', async () => {
    await w.broker.admin.mapCertificate(w.certs.bob.fingerprint, 'carol', 'test:admin');
    const bob = w.browser(w.certs.bob);
    assert.equal((await passIdp(w, bob, w.url(HOSTS.cam, '/'), 'carol')).status, 200);
    const cookie = `${SESSION_COOKIE}=${bob.cookie(HOSTS.cam, SESSION_COOKIE)}`;
    const ws = await openWs(w, { host: HOSTS.cam, path: '/ws', cert: w.certs.bob, cookie });
    assert.equal(ws.open, true);
    if (!ws.open) return;
    const closed = once(ws.ws, 'close');
    const [s] = await w.broker.admin.listSessions({ userSub: 'carol' });
    assert.ok(s);
    assert.equal(await w.broker.admin.killSession(s.id, 'test:admin'), true);
    await within(closed, 2_000, 'websocket closed after kill');
    assert.equal((await bob.request(w.url(HOSTS.cam, '/'))).status, 302);
  });
});
