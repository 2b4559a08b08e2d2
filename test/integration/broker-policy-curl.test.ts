/**
 * The policy table and the certificate table through curl with client certificates (a real
 * client, per REAL-CLIENTS): every row is a (host, method, target) with the status and the
 * denial reason the broker must answer, including path tricks sent raw with --path-as-is.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SESSION_COOKIE } from '../../ztna-broker/index.ts';
import { curl, passIdp } from './broker-flows.ts';
import { HOSTS, startWorld, type World } from './broker-harness.ts';
import { findTool, requireTool } from '../helpers/tools.ts';

interface Row {
  host: string;
  method?: string;
  path: string;
  status: number;
  reason?: string;
  upstreamUrl?: string;
  /** Host header differing from the URL (SNI stays the URL's host). */
  hostHeader?: string;
}

const ROWS: Row[] = [
  { host: HOSTS.cam, path: '/status', status: 200, upstreamUrl: '/status' },
  { host: HOSTS.cam, method: 'HEAD', path: '/status', status: 200 },
  { host: HOSTS.cam, method: 'POST', path: '/form', status: 200 },
  { host: HOSTS.cam, method: 'DELETE', path: '/status', status: 403, reason: 'method-not-allowed' },
  { host: HOSTS.cam, method: 'PUT', path: '/status', status: 403, reason: 'method-not-allowed' },
  { host: HOSTS.cam, path: '/admin', status: 403, reason: 'denied-by-rule:deny-admin-paths' },
  { host: HOSTS.cam, path: '/ADMIN/users', status: 403, reason: 'denied-by-rule:deny-admin-paths' },
  { host: HOSTS.cam, path: '/a/../admin', status: 403, reason: 'denied-by-rule:deny-admin-paths' },
  { host: HOSTS.cam, path: '//admin', status: 403, reason: 'denied-by-rule:deny-admin-paths' },
  { host: HOSTS.cam, path: '/x/%2e%2e/admin', status: 403, reason: 'denied-by-rule:deny-admin-paths' },
  { host: HOSTS.cam, path: '/x/%2E%2E/admin/', status: 403, reason: 'denied-by-rule:deny-admin-paths' },
  { host: HOSTS.cam, path: '/admin%2Fusers', status: 400, reason: 'path-invalid' },
  { host: HOSTS.cam, path: '/x%2F..%2Fadmin', status: 400, reason: 'path-invalid' },
  { host: HOSTS.cam, path: '/status;jsessionid=1', status: 400, reason: 'path-invalid' },
  { host: HOSTS.cam, path: '/admin;/x', status: 400, reason: 'path-invalid' },
  { host: HOSTS.cam, path: '/%2e%2e/etc/passwd', status: 400, reason: 'path-invalid' },
  { host: HOSTS.cam, path: '/a/%252e%252e/admin', status: 400, reason: 'path-invalid' },
  { host: HOSTS.cam, path: '/a/./b//c?q=1', status: 200, upstreamUrl: '/a/b/c?q=1' },
  { host: HOSTS.cam, path: '/%7euser/%41', status: 200, upstreamUrl: '/~user/A' },
  { host: HOSTS.hvac, path: '/panel', status: 200, upstreamUrl: '/panel' },
  { host: HOSTS.sw, path: '/', status: 403, reason: 'jit-grant-required' },
  { host: HOSTS.badpin, path: '/', status: 502, reason: 'upstream-pin-mismatch' },
  { host: HOSTS.cam, hostHeader: 'nope.gatehouse.test', path: '/', status: 421, reason: 'unknown-host' },
  { host: HOSTS.cam, hostHeader: 'cam.gatehouse.test, evil', path: '/', status: 400, reason: 'host-invalid' },
];

describe('policy and certificate tables through curl', () => {
  let w: World;
  const bin = findTool('curl');
  const cookies: Record<string, string> = {};
  before(async () => {
    w = await startWorld();
    const b = w.browser(w.certs.carol);
    for (const host of [HOSTS.cam, HOSTS.hvac, HOSTS.sw, HOSTS.badpin]) {
      await passIdp(w, b, w.url(host, '/'), 'carol').catch(() => b.follow(w.url(host, '/')));
      cookies[host] = `${SESSION_COOKIE}=${b.cookie(host, SESSION_COOKIE) ?? ''}`;
    }
  });
  after(() => w.stop());

  for (const row of ROWS) {
    test(`${row.method ?? 'GET'} ${row.hostHeader ?? row.host} ${row.path} -> ${row.status} ${row.reason ?? ''}`, async (t) => {
      if (!bin) return void requireTool(t, 'curl', 'curl'); // fails in CI, skips elsewhere
      const before = w.upstream.received.length;
      const headers = row.hostHeader ? [`Host: ${row.hostHeader}`] : [];
      const r = await curl(w, bin, { host: row.host, path: row.path, method: row.method ?? 'GET', cert: w.certs.carol, cookie: cookies[row.host] ?? '', headers });
      assert.equal(r.status, row.status, `${r.headers}\n${r.body.slice(0, 400)}`);
      if (row.reason) assert.ok(r.body.includes(row.reason), `reason ${row.reason} in ${r.body.slice(0, 600)}`);
      const reached = w.upstream.received.slice(before);
      if (row.status >= 400) assert.equal(reached.length, 0, 'a refused request never reaches the console');
      if (row.upstreamUrl) assert.equal(reached.at(-1)?.url, row.upstreamUrl, 'forwarded exactly the normalized target');
    });
  }

  const CERT_ROWS = [
    { name: 'no certificate', cert: null, reason: 'certificate-missing' },
    { name: 'foreign (self-signed) certificate', cert: 'foreign', reason: 'certificate-foreign' },
    { name: 'expired certificate from our CA', cert: 'expired', reason: 'certificate-expired' },
    { name: 'device certificate (not admin-client)', cert: 'device', reason: 'certificate-profile-not-allowed' },
  ] as const;
  for (const row of CERT_ROWS) {
    for (const host of [HOSTS.cam, HOSTS.broker]) {
      test(`${row.name} on ${host} -> 403 ${row.reason}`, async (t) => {
        if (!bin) return void requireTool(t, 'curl', 'curl'); // fails in CI, skips elsewhere
        const r = await curl(w, bin, { host, path: host === HOSTS.broker ? '/login' : '/status', cert: row.cert === null ? null : w.certs[row.cert], cookie: cookies[HOSTS.cam] });
        assert.equal(r.status, 403, r.body.slice(0, 400));
        assert.ok(r.body.includes(row.reason), r.body.slice(0, 600));
        assert.match(r.headers, /content-security-policy: default-src 'none'/i, 'denial pages carry the strict headers');
      });
    }
  }

  test('a revoked certificate -> 403 certificate-revoked; store outage -> 503, never allow', async (t) => {
    if (!bin) return void requireTool(t, 'curl', 'curl'); // fails in CI, skips elsewhere
    await w.pki.ca.revoke(w.certs.alice2.serial, 'superseded', { actor: 'test' });
    const r = await curl(w, bin, { host: HOSTS.cam, path: '/status', cert: w.certs.alice2 });
    assert.equal(r.status, 403);
    assert.ok(r.body.includes('certificate-revoked'));
    w.caFault.fail = true;
    try {
      const down = await curl(w, bin, { host: HOSTS.cam, path: '/status', cert: w.certs.carol, cookie: cookies[HOSTS.cam] });
      assert.equal(down.status, 503);
      assert.ok(down.body.includes('revocation-state-unavailable'));
      assert.match(down.headers, /retry-after: 5/i);
    } finally {
      w.caFault.fail = false;
    }
  });

  test('proxied console responses do not get the broker page headers', async (t) => {
    if (!bin) return void requireTool(t, 'curl', 'curl'); // fails in CI, skips elsewhere
    const r = await curl(w, bin, { host: HOSTS.cam, path: '/status', cert: w.certs.carol, cookie: cookies[HOSTS.cam] });
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.headers, /content-security-policy/i);
    assert.doesNotMatch(r.headers, /strict-transport-security/i);
  });
});
