import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, loadPolicy, type Facts } from '../../../../ztna-broker/policy/index.ts';
import { WED_10_UTC, facts, route, yamlDoc } from './fixtures.ts';

const S = WED_10_UTC / 1000;
const user = (over: Partial<Facts['user']>): Facts['user'] => ({ ...facts().user, ...over });
const cert = (over: Partial<Facts['certificate']>): Facts['certificate'] => ({ ...facts().certificate, ...over });

describe('evaluate: deny overrides allow', () => {
  const hvac = route({ id: 'hvac', host: 'hvac.consoles.example.test', upstream: 'http://10.30.0.2', pin: undefined });
  const p = loadPolicy(
    yamlDoc(
      [route(), hvac],
      [
        { id: 'ops-all', effect: 'allow', routes: ['*'], when: { groups: ['ops'] } },
        { id: 'no-admin', effect: 'deny', routes: ['cam-lobby'], when: { paths: ['/admin'] } },
        {
          id: 'no-admin-writes',
          effect: 'deny',
          routes: ['cam-lobby'],
          when: { paths: ['/admin/'], methods: ['POST'] },
        },
        {
          id: 'maintenance',
          effect: 'deny',
          routes: ['*'],
          when: { timeWindow: { days: ['sun'], from: '02:00', to: '04:00', tz: 'UTC' } },
        },
        {
          id: 'lost-laptop',
          effect: 'deny',
          routes: ['*'],
          when: { certificate: { issuer: 'issuing-ca-1', fingerprints: ['ee'.repeat(32)] } },
        },
        { id: 'no-guest-net', effect: 'deny', routes: ['hvac'], when: { sourceCidrs: ['2001:db8:bad::/48'] } },
        { id: 'no-contractors', effect: 'deny', routes: ['*'], when: { groups: ['contractors'] } },
      ],
    ),
  );
  const cases: Array<[string, Partial<Facts>, string[] | 'allow']> = [
    ['allowed elsewhere', { path: '/status' }, 'allow'],
    ['denied path beats allow', { path: '/admin/users' }, ['denied-by-rule:no-admin']],
    ['deny paths are case-insensitive', { path: '/ADMIN/users' }, ['denied-by-rule:no-admin']],
    [
      'every matching deny is reported, first is ruleId',
      { path: '/admin/x', method: 'POST' },
      ['denied-by-rule:no-admin', 'denied-by-rule:no-admin-writes'],
    ],
    ['deny on one route does not touch another', { routeId: 'hvac', path: '/admin' }, 'allow'],
    ['maintenance window', { now: Date.parse('2025-03-09T03:00:00Z') }, ['denied-by-rule:maintenance']],
    ['after maintenance', { now: Date.parse('2025-03-09T04:00:00Z') }, 'allow'],
    ['denied certificate', { certificate: cert({ fingerprint: 'EE'.repeat(32) }) }, ['denied-by-rule:lost-laptop']],
    ['denied IPv6 network', { routeId: 'hvac', sourceIp: '2001:db8:bad:1::9' }, ['denied-by-rule:no-guest-net']],
    ['neighbouring IPv6 network', { routeId: 'hvac', sourceIp: '2001:db8:bae::9' }, 'allow'],
    [
      'denied group even with an allowed group',
      { user: user({ groups: ['ops', 'contractors'] }) },
      ['denied-by-rule:no-contractors'],
    ],
  ];
  for (const [name, over, expected] of cases) {
    it(name, () => {
      const d = evaluate(p, facts(over));
      if (expected === 'allow') {
        assert.equal(d.allow, true);
        assert.equal(d.ruleId, 'ops-all');
      } else {
        assert.deepEqual(d, {
          allow: false,
          ruleId: expected[0]?.slice('denied-by-rule:'.length),
          reasons: expected,
          misses: [],
        });
      }
    });
  }
});

describe('evaluate: default deny and several allow rules', () => {
  const p = loadPolicy(
    yamlDoc(
      [route(), route({ id: 'bare', host: 'bare.consoles.example.test' })],
      [
        { id: 'ops-read', effect: 'allow', routes: ['cam-lobby'], when: { groups: ['ops'], methods: ['GET'] } },
        { id: 'admins', effect: 'allow', routes: ['cam-lobby'], when: { groups: ['admins'], paths: ['/api'] } },
        { id: 'ops-any', effect: 'allow', routes: ['cam-lobby'], when: { groups: ['ops'] } },
      ],
    ),
  );
  it('a route without rules is denied', () => {
    assert.deepEqual(evaluate(p, facts({ routeId: 'bare' })), {
      allow: false,
      ruleId: null,
      reasons: ['no-matching-allow-rule'],
      misses: [],
    });
  });
  it('the first matching allow rule in document order wins', () => {
    assert.equal(evaluate(p, facts()).ruleId, 'ops-read');
    assert.equal(evaluate(p, facts({ method: 'POST' })).ruleId, 'ops-any');
  });
  it('explains every candidate allow rule', () => {
    const d = evaluate(
      p,
      facts({ method: 'POST', path: '/x', user: { sub: 's', email: 'e@x.test', groups: ['guests'] } }),
    );
    assert.equal(d.allow, false);
    assert.deepEqual(d.reasons, [
      'no-matching-allow-rule',
      'group-not-allowed',
      'method-not-allowed',
      'path-not-allowed',
    ]);
    assert.deepEqual(d.misses, [
      { ruleId: 'ops-read', reasons: ['group-not-allowed', 'method-not-allowed'] },
      { ruleId: 'admins', reasons: ['group-not-allowed', 'path-not-allowed'] },
      { ruleId: 'ops-any', reasons: ['group-not-allowed'] },
    ]);
  });
});

describe('evaluate: sensitive routes impose step-up MFA', () => {
  const doc = yamlDoc(
    [route({ sensitive: true }), route({ id: 'plain', host: 'plain.consoles.example.test' })],
    [
      { id: 'ops', effect: 'allow', routes: ['*'], when: { groups: ['ops'] } },
      { id: 'ops-long-mfa', effect: 'allow', routes: ['*'], when: { groups: ['ops'], mfa: { maxAgeSeconds: 900 } } },
    ],
  );
  const p = loadPolicy(doc);
  const mfaAge = (age: number | null): Partial<Facts> => ({
    mfa: age === null ? null : { method: 'idp', authenticatedAt: S - age },
  });
  it('requires MFA although the rule does not', () => {
    const d = evaluate(p, facts(mfaAge(null)));
    assert.deepEqual(d.reasons, ['no-matching-allow-rule', 'mfa-required']);
  });
  it('caps the age at 300 s by default, also below a rule that allows longer', () => {
    assert.equal(evaluate(p, facts(mfaAge(299))).allow, true);
    const d = evaluate(p, facts(mfaAge(301)));
    assert.deepEqual(d.misses, [
      { ruleId: 'ops', reasons: ['mfa-too-old'] },
      { ruleId: 'ops-long-mfa', reasons: ['mfa-too-old'] },
    ]);
  });
  it('a non-sensitive route needs no MFA unless a rule says so', () => {
    assert.equal(evaluate(p, facts({ routeId: 'plain', ...mfaAge(null) })).ruleId, 'ops');
    assert.equal(evaluate(p, facts({ routeId: 'plain', ...mfaAge(3600) })).ruleId, 'ops');
  });
  it('the step-up age is configurable at load', () => {
    const q = loadPolicy(doc, { stepUpMaxAgeSeconds: 60 });
    assert.equal(evaluate(q, facts(mfaAge(59))).allow, true);
    assert.deepEqual(evaluate(q, facts(mfaAge(61))).reasons, ['no-matching-allow-rule', 'mfa-too-old']);
  });
});
