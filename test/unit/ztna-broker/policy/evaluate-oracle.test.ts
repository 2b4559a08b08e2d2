/**
 * fast-check differential test of evaluate() against a small independent oracle (net.BlockList
 * for CIDRs, Date UTC getters for time windows, plain string logic for paths): it never allows
 * when no allow rule matches and never allows past a matching deny rule.
 */
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { evaluate, loadPolicy, type Facts } from '../../../../ztna-broker/policy/index.ts';
import { route } from './fixtures.ts';

const GROUPS = ['ops', 'admins', 'guests'];
const USERS = ['alice@example.test', 'bob@example.test'];
const METHODS = ['GET', 'POST', 'DELETE'];
const PATHS = ['/', '/status', '/api/', '/admin'];
const CIDRS = ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', '::/0'];
const CLOCKS = ['00:00', '07:00', '12:00', '19:00'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface When {
  groups?: string[];
  users?: string[];
  methods?: string[];
  paths?: string[];
  sourceCidrs?: string[];
  timeWindow?: { days: string[]; from: string; to: string; tz: string };
  mfa?: { maxAgeSeconds: number };
  jitGrant?: boolean;
}
interface Rule {
  id: string;
  effect: 'allow' | 'deny';
  routes: string[];
  when: When;
}

const sub = <T>(xs: T[]) => fc.subarray(xs, { minLength: 1 });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const window = fc
  .record({
    days: sub(DAYS),
    from: fc.constantFrom(...CLOCKS),
    to: fc.constantFrom(...CLOCKS, '24:00'),
    tz: fc.constant('UTC'),
  })
  .filter((w) => w.from !== w.to);
const whenArb = (effect: 'allow' | 'deny') =>
  fc
    .record({
      groups: opt(sub(GROUPS)),
      users: opt(sub(USERS)),
      methods: opt(sub(METHODS)),
      paths: opt(sub(PATHS)),
      sourceCidrs: opt(sub(CIDRS)),
      timeWindow: opt(window),
      mfa: effect === 'allow' ? opt(fc.record({ maxAgeSeconds: fc.constantFrom(60, 600) })) : fc.constant(undefined),
      jitGrant: effect === 'allow' ? opt(fc.boolean()) : fc.constant(undefined),
    })
    .map((w) => JSON.parse(JSON.stringify(w)) as When)
    .filter((w) => effect === 'deny' || w.groups !== undefined || w.users !== undefined);
const ruleArb = fc
  .constantFrom<'allow' | 'deny'>('allow', 'allow', 'deny')
  .chain((effect) =>
    fc.record({ effect: fc.constant(effect), routes: fc.constantFrom(['*'], ['cam-lobby']), when: whenArb(effect) }),
  );
const rulesArb = fc
  .array(ruleArb, { maxLength: 5 })
  .map((rs) => rs.map((r, i): Rule => ({ id: `r${i}`, effect: r.effect, routes: [...r.routes], when: r.when })));

const T0 = Date.parse('2025-03-02T00:00:00Z'); // a Sunday
const factsArb = fc.record({
  groups: fc.subarray(GROUPS),
  email: fc.constantFrom(...USERS, 'Alice@Example.TEST', 'eve@example.test'),
  method: fc.constantFrom(...METHODS),
  path: fc.constantFrom('/', '/status', '/status/x', '/statusx', '/api', '/api/v1', '/admin', '/ADMIN/x', '/other'),
  sourceIp: fc.constantFrom('10.1.2.3', '192.168.7.7', '172.16.0.1', '2001:db8::9', '2001:db9::9', '::ffff:10.0.0.1'),
  now: fc.integer({ min: T0, max: T0 + 7 * 86_400_000 - 1 }),
  mfaAge: fc.option(fc.constantFrom(10, 200, 900)),
  grant: fc.boolean(),
});

function oracleCidr(cidrs: string[], ip: string): boolean {
  const bl = new BlockList();
  for (const c of cidrs) {
    const [a, p] = c.split('/') as [string, string];
    bl.addSubnet(a, Number(p), a.includes(':') ? 'ipv6' : 'ipv4');
  }
  return bl.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');
}
function oracleWindow(w: NonNullable<When['timeWindow']>, now: number): boolean {
  const d = new Date(now);
  const day = d.getUTCDay();
  const m = d.getUTCHours() * 60 + d.getUTCMinutes();
  const mins = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  const [from, to] = [mins(w.from), mins(w.to)];
  const has = (i: number) => w.days.includes(DAYS[i] as string);
  if (from < to) return has(day) && m >= from && m < to;
  return (has(day) && m >= from) || (has((day + 6) % 7) && m < to);
}
function oraclePath(prefixes: string[], path: string, fold: boolean): boolean {
  const p = fold ? path.toLowerCase() : path;
  return prefixes.some((x) => {
    const b = (fold ? x.toLowerCase() : x).replace(/\/$/, '');
    return p === b || p.startsWith(b + '/');
  });
}
function oracleMatches(r: Rule, f: Facts, sensitive: boolean): boolean {
  const w = r.when;
  const deny = r.effect === 'deny';
  if (w.groups && !f.user.groups.some((g) => w.groups?.includes(g))) return false;
  if (w.users && !w.users.includes(f.user.email.toLowerCase())) return false;
  if (w.methods && !w.methods.includes(f.method)) return false;
  if (w.paths && !oraclePath(w.paths, f.path, deny)) return false;
  if (w.sourceCidrs && !oracleCidr(w.sourceCidrs, f.sourceIp)) return false;
  if (w.timeWindow && !oracleWindow(w.timeWindow, f.now)) return false;
  if (!deny) {
    if (w.mfa || sensitive) {
      if (f.mfa === null) return false;
      const age = f.now / 1000 - f.mfa.authenticatedAt;
      const max = Math.min(w.mfa?.maxAgeSeconds ?? Infinity, sensitive ? 300 : Infinity);
      if (age > max) return false;
    }
    if (w.jitGrant && f.jitGrants.length === 0) return false;
  }
  return true;
}

describe('evaluate agrees with the oracle', () => {
  it('never allows without a matching allow rule, never allows past a matching deny', () => {
    fc.assert(
      fc.property(rulesArb, fc.boolean(), factsArb, (rules, sensitive, x) => {
        const policy = loadPolicy(stringify({ routes: [route({ sensitive })], rules }));
        const facts: Facts = {
          routeId: 'cam-lobby',
          user: { sub: 'sub-x', email: x.email, groups: x.groups },
          certificate: { fingerprint: '00'.repeat(32), issuer: 'ca', serial: '01', valid: true },
          mfa: x.mfaAge === null ? null : { method: 'totp', authenticatedAt: x.now / 1000 - x.mfaAge },
          method: x.method,
          path: x.path,
          sourceIp: x.sourceIp,
          now: x.now,
          jitGrants: x.grant
            ? [{ routeId: 'cam-lobby', user: 'sub-x', notBefore: x.now - 1, notAfter: x.now + 1 }]
            : [],
        };
        const d = evaluate(policy, facts);
        const denied = rules.filter((r) => r.effect === 'deny' && oracleMatches(r, facts, sensitive));
        const allowed = rules.find((r) => r.effect === 'allow' && oracleMatches(r, facts, sensitive));
        if (denied.length > 0) {
          assert.equal(d.allow, false);
          assert.deepEqual(
            d.reasons,
            denied.map((r) => `denied-by-rule:${r.id}`),
          );
        } else if (allowed === undefined) {
          assert.equal(d.allow, false);
          assert.equal(d.reasons[0], 'no-matching-allow-rule');
          assert.equal(d.misses.length, rules.filter((r) => r.effect === 'allow').length);
          for (const m of d.misses) assert.ok(m.reasons.length > 0);
        } else {
          assert.deepEqual(d, { allow: true, ruleId: allowed.id, reasons: [], misses: [] });
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('a policy without allow rules never allows', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, (rules, x) => {
        const policy = loadPolicy(stringify({ routes: [route()], rules: rules.filter((r) => r.effect === 'deny') }));
        const d = evaluate(policy, {
          routeId: 'cam-lobby',
          user: { sub: 's', email: x.email, groups: x.groups },
          certificate: { fingerprint: '', issuer: '', serial: '', valid: true },
          mfa: { method: 'totp', authenticatedAt: x.now / 1000 },
          method: x.method,
          path: x.path,
          sourceIp: x.sourceIp,
          now: x.now,
          jitGrants: [],
        });
        assert.equal(d.allow, false);
      }),
    );
  });
});
