/**
 * Request audit (each vs summary, rule ids and reasons, durable before forwarding), the broker
 * pages (escaping, strict headers only there), the error mapping, and the broker config section
 * (defaults, required keys when enabled, unknown keys rejected).
 */
import assert from 'node:assert/strict';
import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { brokerSection } from '../../../platform/config/sections/broker.ts';
import { loadPolicy } from '../../../ztna-broker/policy/index.ts';
import { AppError, ERROR_CODES } from '../../../platform/errors.ts';
import { silentLogger } from '../../../platform/log.ts';
import { httpFailureOf } from '../../../ztna-broker/errors.ts';
import { esc, h, PageHeaders } from '../../../ztna-broker/pages/html.ts';
import { deniedPage } from '../../../ztna-broker/pages/views.ts';
import { RequestAuditor, type RequestRecord } from '../../../ztna-broker/request-audit.ts';
import { brokerDb, type BrokerDb } from './fixtures.ts';

const rec = (over: Partial<RequestRecord> = {}): RequestRecord => ({ sessionId: 's1', user: 'alice@example.com', routeId: 'cam', method: 'GET', path: '/x', sourceIp: '127.0.0.1', certSerial: '1f', allow: true, ruleId: 'ops-cam', reasons: [], websocket: false, ...over });

describe('request audit', () => {
  let b: BrokerDb;
  beforeEach(async () => {
    b = await brokerDb();
  });
  afterEach(() => b.cleanup());
  const rows = async () => (await b.t.db('audit_log').orderBy('seq').select('action', 'data')) as { action: string; data: string }[];

  it("'each' writes one durable entry per decision, with the rule id and reasons", async () => {
    const a = new RequestAuditor(b.audit, silentLogger(), { mode: 'each', intervalSeconds: 60, now: b.now });
    await a.record(rec());
    await a.record(rec({ allow: false, ruleId: 'deny-admin', reasons: ['denied-by-rule:deny-admin'], path: '/admin' }));
    const r = await rows();
    assert.deepEqual(r.map((x) => x.action), ['broker.request.allow', 'broker.request.deny']);
    assert.match(r[0]!.data, /"rule":"ops-cam"/);
    assert.match(r[1]!.data, /denied-by-rule:deny-admin/);
    await a.stop();
  });

  it("'summary' counts per session and route and flushes once", async () => {
    const a = new RequestAuditor(b.audit, silentLogger(), { mode: 'summary', intervalSeconds: 3600, now: b.now });
    for (let i = 0; i < 50; i++) await a.record(rec());
    for (let i = 0; i < 1000; i++) await a.record(rec({ sessionId: null, user: null, allow: false, ruleId: null, reasons: ['certificate-foreign'] }));
    assert.equal((await rows()).length, 0);
    await a.stop();
    const r = await rows();
    assert.equal(r.length, 2);
    const data = r.map((x) => JSON.parse(x.data) as { allowed: number; denied: number; rules: Record<string, number>; reasons: Record<string, number> });
    assert.deepEqual(data.map((d) => [d.allowed, d.denied]), [[50, 0], [0, 1000]]);
    assert.equal(data[0]!.rules['ops-cam'], 50);
    assert.equal(data[1]!.reasons['certificate-foreign'], 1000);
  });
});

describe('pages', () => {
  it('escapes every value', () => {
    assert.equal(esc(`<script>"'&`), '&lt;script&gt;&quot;&#39;&amp;');
    assert.equal(h`<p>${'<b>'}</p>`.html, '<p>&lt;b&gt;</p>');
    const html = deniedPage({ title: 'x', reasons: ['<img src=x onerror=alert(1)>'], ruleId: '"><script>', links: [{ href: 'javascript:"x"', label: '<i>' }] });
    assert.doesNotMatch(html, /<img|<script>|<i>/);
  });

  it('sends strict headers on pages: CSP without inline, HSTS, no framing, no-store', () => {
    const req = new IncomingMessage(new Socket());
    const res = new ServerResponse(req);
    new PageHeaders(['https://cam.gatehouse.test:8444']).send(req, res, 403, '<p>x</p>');
    const csp = String(res.getHeader('content-security-policy'));
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /form-action 'self' https:\/\/cam\.gatehouse\.test:8444/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(String(res.getHeader('strict-transport-security')), /max-age=31536000/);
    assert.equal(res.getHeader('x-frame-options'), 'DENY');
    assert.equal(res.getHeader('x-content-type-options'), 'nosniff');
    assert.equal(res.getHeader('cache-control'), 'no-store');
    assert.equal(res.statusCode, 403);
  });

  it('maps every broker error code once; outages are 503', () => {
    assert.deepEqual(httpFailureOf(new AppError('ERR_STORE_UNAVAILABLE', 'x')), { status: 503, reason: 'store-unavailable' });
    assert.deepEqual(httpFailureOf(new AppError('ERR_OIDC', 'x', { retryAfter: 5 })), { status: 503, reason: 'identity-provider-unavailable' });
    assert.deepEqual(httpFailureOf(new AppError('ERR_JIT_DUAL_CONTROL', 'x')), { status: 403, reason: 'dual-control-required' });
    for (const code of ['ERR_BROKER_CERT', 'ERR_TOTP_REPLAY', 'ERR_WEBAUTHN', 'ERR_CSRF', 'ERR_REDIRECT_INVALID', 'ERR_UPSTREAM', 'ERR_UPSTREAM_PIN'] as const) {
      assert.ok(ERROR_CODES.includes(code));
      assert.notEqual(httpFailureOf(new AppError(code, 'x')).status, 500, code);
    }
  });
});

describe('example policy', () => {
  it('ztna-broker/policy.example.yaml loads', () => {
    const p = loadPolicy(readFileSync(new URL('../../../ztna-broker/policy.example.yaml', import.meta.url), 'utf8'));
    assert.deepEqual([...p.routes.keys()], ['cam-lobby', 'hvac-plant', 'core-switch']);
    assert.equal(p.routesByHost.get('hvac.consoles.example.com')?.sensitive, true);
  });
});

describe('broker config section', () => {
  it('is disabled and complete by default', () => {
    const c = brokerSection.parse({});
    assert.equal(c.enabled, false);
    assert.equal(c.listen.port, 8444);
    assert.deepEqual(c.clientCert.profiles, ['admin-client']);
    assert.equal(c.session.idleSeconds, 900);
    assert.equal(c.audit.requests, 'summary');
  });
  it('when enabled requires the policy, the IdP and a TOTP key', () => {
    const r = brokerSection.safeParse({ enabled: true });
    assert.equal(r.success, false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    assert.deepEqual(paths.sort(), ['mfa.totp.encryptionKey', 'oidc', 'policyFile']);
    assert.equal(brokerSection.safeParse({ enabled: true, policyFile: 'p.yaml', oidc: { issuer: 'https://idp.example', clientId: 'c' }, mfa: { methods: ['webauthn'] } }).success, true);
  });
  it('rejects unknown keys and has no switch to skip verification', () => {
    for (const bad of [{ insecureSkipVerify: true }, { clientCert: { verify: false } }, { session: { idelSeconds: 1 } }, { session: { idleSeconds: 7200, absoluteSeconds: 3600 } }, { host: 'Broker:8444' }]) {
      assert.equal(brokerSection.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});
