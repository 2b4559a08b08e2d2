/**
 * fast-check properties: every parser (normalizePath, parseCidr/parseIp, loadPolicy, the header
 * sanitizer) returns or throws AppError on garbage and mutated input; normalizePath is idempotent
 * and leaves no dot segments or empty segments; CIDR matching agrees with net.BlockList.
 * (evaluate() against an oracle: evaluate-oracle.test.ts.)
 */
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { isAppError } from '../../../../platform/errors.ts';
import {
  cidrContains,
  isStrippedHeaderName,
  loadPolicy,
  normalizePath,
  parseCidr,
  parseIp,
  sanitizeRequestHeaders,
} from '../../../../ztna-broker/policy/index.ts';
import { SPKI_PIN, route } from './fixtures.ts';

const PATH_TOKENS = [
  '/',
  '/',
  '/',
  '.',
  '..',
  'a',
  'B',
  'admin',
  'api',
  '%2e',
  '%2E',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '%00',
  '%0a',
  ';',
  '\\',
  '%3b',
  '%41',
  '%7e',
  '%25',
  '%32',
  '%66',
  '%c3',
  '%a9',
  '%C0',
  '%AF',
  '%e2%82%ac',
  '%',
  '?',
  '#',
  '|',
  ' ',
  '~',
  '%20',
  '=',
  '@',
  ':',
];
const pathLike = fc.array(fc.constantFrom(...PATH_TOKENS), { maxLength: 24 }).map((t) => t.join(''));
const targets = fc.oneof(
  pathLike,
  pathLike.map((p) => '/' + p),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 64 }).map((s) => '/' + s),
);

describe('normalizePath properties', () => {
  it('returns or throws AppError(ERR_BAD_INPUT), never anything else', () => {
    fc.assert(
      fc.property(targets, (t) => {
        try {
          normalizePath(t);
        } catch (e) {
          assert.ok(isAppError(e, 'ERR_BAD_INPUT'), String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent and leaves no dot segments, no //, no encoded / \\ NUL', () => {
    fc.assert(
      fc.property(targets, (t) => {
        let out: string;
        try {
          out = normalizePath(t).path;
        } catch {
          return;
        }
        assert.equal(out[0], '/');
        assert.deepEqual(normalizePath(out), { path: out, query: '' });
        assert.ok(!out.includes('//'), out);
        const segs = out.split('/');
        assert.ok(!segs.includes('..') && !segs.includes('.'), out);
        assert.ok(!/%2f|%5c|%00|%2e|;|\\/i.test(out), out);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parser robustness', () => {
  it('parseCidr and parseIp never throw', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.boolean(), (s, z) => {
        parseCidr(s);
        parseIp(s, z);
      }),
    );
  });

  it('CIDR matching agrees with net.BlockList', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
    const v6 = fc
      .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
      .map((g) => g.map((x) => x.toString(16)).join(':'));
    fc.assert(
      fc.property(
        fc.oneof(
          v4.map((a) => [a, 4] as const),
          v6.map((a) => [a, 6] as const),
        ),
        fc.nat(128),
        fc.oneof(v4, v6),
        ([net, fam], len, ip) => {
          const prefix = Math.min(len, fam === 4 ? 32 : 128);
          const bl = new BlockList();
          bl.addSubnet(net, prefix, fam === 4 ? 'ipv4' : 'ipv6');
          // Use the network address (host bits cleared) that BlockList matches against.
          const masked = parseCidr(`${net}/${prefix}`);
          const addr = parseIp(ip);
          assert.ok(addr);
          const expected = bl.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');
          if (masked.ok) {
            assert.equal(cidrContains(masked.cidr, addr), expected);
          } else {
            assert.equal(masked.error, 'CIDR has host bits set');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('sanitizeRequestHeaders never throws and never lets a stripped name through', () => {
    const names = fc.oneof(
      fc.constantFrom(
        'X-Forwarded-For',
        'x_real_ip',
        'Connection',
        'cookie',
        'accept',
        'x-gatehouse-user',
        'Remote_User',
        'host',
        'x-a',
      ),
      fc.string({ maxLength: 20 }),
    );
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }));
    fc.assert(
      fc.property(fc.dictionary(names, value), (h) => {
        const out = sanitizeRequestHeaders(h, { brokerCookieNames: ['sid'] });
        for (const name of Object.keys(out)) assert.ok(!isStrippedHeaderName(name), name);
        const cookie = out['cookie'];
        if (typeof cookie === 'string')
          assert.ok(!cookie.split('; ').some((p) => p.split('=')[0]?.trim().toLowerCase() === 'sid'));
      }),
    );
  });
});

describe('loadPolicy on random input', () => {
  const assertLoadOrPolicyError = (text: string): void => {
    try {
      loadPolicy(text);
    } catch (e) {
      assert.ok(isAppError(e, 'ERR_POLICY_INVALID'), String(e));
    }
  };
  it('random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), assertLoadOrPolicyError), { numRuns: 500 });
  });
  it('random YAML values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => assertLoadOrPolicyError(stringify(v))),
      { numRuns: 300 },
    );
  });
  it('mutated valid documents', () => {
    const leaf = fc.oneof(
      fc.jsonValue({ maxDepth: 1 }),
      fc.constantFrom('*', '10.0.0.0/8', '::/0', '07:00', '24:00', SPKI_PIN, 'http://x', 'mon'),
    );
    const keys = fc.constantFrom(
      'id',
      'host',
      'upstream',
      'pin',
      'ca',
      'routes',
      'effect',
      'when',
      'groups',
      'users',
      'mfa',
      'paths',
      'sourceCidrs',
      'timeWindow',
      'tz',
      'days',
      'from',
      'to',
      'jitGrant',
      'session',
      'bogus',
      '__proto__',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), keys, leaf), { maxLength: 4 }), (mutations) => {
        const doc = {
          routes: [route({ session: { maxIdleSeconds: 60, maxLifetimeSeconds: 120 } })],
          rules: [
            {
              id: 'r',
              effect: 'allow',
              routes: ['cam-lobby'],
              when: { groups: ['ops'], timeWindow: { days: ['mon'], from: '07:00', to: '08:00' } },
            },
          ],
        };
        const targetsOf = [
          doc as Record<string, unknown>,
          doc.routes[0] as Record<string, unknown>,
          doc.rules[0] as Record<string, unknown>,
          doc.rules[0]?.when as Record<string, unknown>,
        ];
        for (const [i, k, v] of mutations) {
          const t = targetsOf[i];
          if (t) Object.defineProperty(t, k, { value: v, enumerable: true, writable: true, configurable: true });
        }
        assertLoadOrPolicyError(stringify(doc));
      }),
      { numRuns: 500 },
    );
  });
});
