import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, loadPolicy, type Facts } from '../../../../ztna-broker/policy/index.ts';
import { CERT_FP, WED_10_UTC, facts, route, yamlDoc } from './fixtures.ts';

const S = WED_10_UTC / 1000;
const grant = {
  routeId: 'cam-lobby',
  user: 'sub-alice',
  notBefore: WED_10_UTC - 60_000,
  notAfter: WED_10_UTC + 60_000,
};

const fullRule = {
  id: 'ops-full',
  effect: 'allow',
  routes: ['cam-lobby'],
  when: {
    groups: ['ops', 'netops'],
    users: ['Alice@Example.test', 'sub-carol'],
    certificate: { issuer: 'issuing-ca-1', fingerprints: [CERT_FP] },
    mfa: { methods: ['totp', 'webauthn'], maxAgeSeconds: 300 },
    methods: ['GET', 'HEAD'],
    paths: ['/status', '/api/'],
    sourceCidrs: ['10.0.0.0/8', '2001:db8::/32'],
    timeWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '19:00', tz: 'UTC' },
    jitGrant: true,
  },
};

const full = loadPolicy(yamlDoc([route()], [fullRule]));
const base = (over: Partial<Facts> = {}): Facts => facts({ jitGrants: [grant], ...over });
const user = (over: Partial<Facts['user']>): Facts['user'] => ({ ...base().user, ...over });
/** Facts at another instant, with MFA and JIT grant moved along. */
const at = (iso: string): Partial<Facts> => {
  const now = Date.parse(iso);
  return {
    now,
    mfa: { method: 'totp', authenticatedAt: now / 1000 - 60 },
    jitGrants: [{ ...grant, notBefore: now - 1, notAfter: now + 1 }],
  };
};
const cert = (over: Partial<Facts['certificate']>): Facts['certificate'] => ({ ...base().certificate, ...over });

describe('evaluate: each condition of an allow rule', () => {
  const cases: Array<[string, Partial<Facts>, string[] | 'allow']> = [
    ['baseline', {}, 'allow'],
    ['not in any listed group', { user: user({ groups: ['guests'] }) }, ['group-not-allowed']],
    ['in one of the listed groups', { user: user({ groups: ['guests', 'netops'] }) }, 'allow'],
    [
      'other user',
      { user: user({ sub: 'sub-bob', email: 'bob@example.test' }), jitGrants: [{ ...grant, user: 'sub-bob' }] },
      ['user-not-allowed'],
    ],
    ['e-mail matches case-insensitively', { user: user({ email: 'ALICE@example.TEST' }) }, 'allow'],
    [
      'sub matches exactly',
      { user: user({ sub: 'sub-carol', email: '' }), jitGrants: [{ ...grant, user: 'sub-carol' }] },
      'allow',
    ],
    [
      'sub does not match case-insensitively',
      { user: user({ sub: 'SUB-CAROL', email: '' }), jitGrants: [{ ...grant, user: 'SUB-CAROL' }] },
      ['user-not-allowed'],
    ],
    ['other issuer', { certificate: cert({ issuer: 'issuing-ca-2' }) }, ['certificate-issuer-not-allowed']],
    ['fingerprint not listed', { certificate: cert({ fingerprint: 'cd'.repeat(32) }) }, ['certificate-not-allowed']],
    [
      'fingerprint in OpenSSL form',
      { certificate: cert({ fingerprint: `sha256:${CERT_FP.match(/../g)?.join(':').toUpperCase()}` }) },
      'allow',
    ],
    ['garbage fingerprint', { certificate: cert({ fingerprint: 'zz' }) }, ['certificate-not-allowed']],
    ['no MFA', { mfa: null }, ['mfa-required']],
    ['MFA method not listed', { mfa: { method: 'idp', authenticatedAt: S - 10 } }, ['mfa-method-not-allowed']],
    ['MFA too old', { mfa: { method: 'totp', authenticatedAt: S - 301 } }, ['mfa-too-old']],
    ['MFA exactly at max age', { mfa: { method: 'totp', authenticatedAt: S - 300 } }, 'allow'],
    ['MFA far in the future', { mfa: { method: 'totp', authenticatedAt: S + 120 } }, ['mfa-time-invalid']],
    ['MFA slightly in the future (skew)', { mfa: { method: 'webauthn', authenticatedAt: S + 30 } }, 'allow'],
    ['MFA time not a number', { mfa: { method: 'totp', authenticatedAt: Number.NaN } }, ['mfa-time-invalid']],
    ['method not listed', { method: 'POST' }, ['method-not-allowed']],
    ['method compared exactly', { method: 'get' }, ['method-not-allowed']],
    ['HEAD listed', { method: 'HEAD' }, 'allow'],
    ['path under prefix', { path: '/status/cam/1' }, 'allow'],
    ['prefix with trailing slash matches its bare form', { path: '/api' }, 'allow'],
    ['path on no segment boundary', { path: '/statusx' }, ['path-not-allowed']],
    ['other path', { path: '/admin' }, ['path-not-allowed']],
    ['root', { path: '/' }, ['path-not-allowed']],
    ['allow paths are case-sensitive', { path: '/API/x' }, ['path-not-allowed']],
    ['source outside CIDRs', { sourceIp: '192.168.1.10' }, ['source-not-allowed']],
    ['IPv6 source inside', { sourceIp: '2001:db8:ffff::5' }, 'allow'],
    ['IPv6 source outside', { sourceIp: '2001:db9::5' }, ['source-not-allowed']],
    ['IPv4-mapped IPv6 source', { sourceIp: '::ffff:10.9.8.7' }, 'allow'],
    ['outside hours (19:00, half-open)', at('2025-03-05T19:00:00Z'), ['outside-time-window']],
    ['last minute of the window', at('2025-03-05T18:59:59Z'), 'allow'],
    ['before hours', at('2025-03-05T06:59:00Z'), ['outside-time-window']],
    ['weekend', at('2025-03-08T10:00:00Z'), ['outside-time-window']],
    ['no JIT grant', { jitGrants: [] }, ['jit-grant-required']],
    ['JIT grant for another route', { jitGrants: [{ ...grant, routeId: 'hvac' }] }, ['jit-grant-required']],
    ['JIT grant for another user', { jitGrants: [{ ...grant, user: 'sub-bob' }] }, ['jit-grant-required']],
    [
      'JIT grant expired (notAfter exclusive)',
      { jitGrants: [{ ...grant, notAfter: WED_10_UTC }] },
      ['jit-grant-required'],
    ],
    ['JIT grant not yet valid', { jitGrants: [{ ...grant, notBefore: WED_10_UTC + 1 }] }, ['jit-grant-required']],
    ['JIT grant starting now (notBefore inclusive)', { jitGrants: [{ ...grant, notBefore: WED_10_UTC }] }, 'allow'],
    ['JIT grant by e-mail', { jitGrants: [{ ...grant, user: 'ALICE@example.test' }] }, 'allow'],
    [
      'every failure is listed',
      {
        user: user({ sub: 'x', email: 'x@example.test', groups: [] }),
        method: 'DELETE',
        path: '/admin',
        sourceIp: '::1',
        mfa: null,
        jitGrants: [],
      },
      [
        'group-not-allowed',
        'user-not-allowed',
        'mfa-required',
        'method-not-allowed',
        'path-not-allowed',
        'source-not-allowed',
        'jit-grant-required',
      ],
    ],
  ];
  for (const [name, over, expected] of cases) {
    it(name, () => {
      const d = evaluate(full, base(over));
      if (expected === 'allow') {
        assert.deepEqual(d, { allow: true, ruleId: 'ops-full', reasons: [], misses: [] });
      } else {
        assert.equal(d.allow, false);
        assert.equal(d.ruleId, null);
        assert.deepEqual(d.reasons, ['no-matching-allow-rule', ...expected]);
        assert.deepEqual(d.misses, [{ ruleId: 'ops-full', reasons: expected }]);
      }
    });
  }
});

describe('evaluate: preconditions deny before any rule', () => {
  const cases: Array<[string, Partial<Facts>, string]> = [
    ['unknown route', { routeId: 'cam-roof' }, 'unknown-route'],
    ['invalid certificate', { certificate: cert({ valid: false }) }, 'certificate-invalid'],
    ['unparseable source', { sourceIp: 'localhost' }, 'source-ip-invalid'],
    ['IPv4 with leading zero', { sourceIp: '010.1.2.3' }, 'source-ip-invalid'],
    ['clock NaN', { now: Number.NaN }, 'clock-invalid'],
    ['clock Infinity', { now: Number.POSITIVE_INFINITY }, 'clock-invalid'],
    ['path not normalized', { path: '/a/../status' }, 'path-invalid'],
    ['path with encoded slash', { path: '/status%2Fx' }, 'path-invalid'],
    ['path with query', { path: '/status?x=1' }, 'path-invalid'],
    ['relative path', { path: 'status' }, 'path-invalid'],
    ['WebSocket upgrade on a route without websocket', { websocket: true }, 'websocket-not-allowed'],
    ['malformed facts', { user: { sub: 's', email: 'e', groups: null as unknown as string[] } }, 'evaluation-error'],
  ];
  for (const [name, over, reason] of cases) {
    it(name, () =>
      assert.deepEqual(evaluate(full, base(over)), { allow: false, ruleId: null, reasons: [reason], misses: [] }),
    );
  }
  it('allows a WebSocket upgrade on a websocket route through the same rules', () => {
    const p = loadPolicy(
      yamlDoc([route({ websocket: true })], [{ id: 'a', effect: 'allow', routes: ['*'], when: { groups: ['ops'] } }]),
    );
    assert.equal(evaluate(p, facts({ websocket: true })).ruleId, 'a');
    assert.deepEqual(evaluate(p, facts({ websocket: true, user: user({ groups: [] }) })).reasons, [
      'no-matching-allow-rule',
      'group-not-allowed',
    ]);
  });
  it('accepts a zoned link-local IPv6 source', () => {
    const p = loadPolicy(
      yamlDoc(
        [route()],
        [{ id: 'a', effect: 'allow', routes: ['*'], when: { groups: ['ops'], sourceCidrs: ['fe80::/10'] } }],
      ),
    );
    assert.equal(evaluate(p, facts({ sourceIp: 'fe80::1%eth0' })).allow, true);
  });
});
