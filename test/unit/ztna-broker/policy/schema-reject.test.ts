import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../../../platform/errors.ts';
import { loadPolicy } from '../../../../ztna-broker/policy/index.ts';
import { route, yamlDoc } from './fixtures.ts';

const allowOps = { id: 'ops-read', effect: 'allow', routes: ['cam-lobby'], when: { groups: ['ops'] } };

function rejects(text: string, pathAndMessage: string | RegExp): void {
  assert.throws(
    () => loadPolicy(text),
    (e: unknown) => {
      assert.ok(isAppError(e, 'ERR_POLICY_INVALID'), `expected ERR_POLICY_INVALID, got ${String(e)}`);
      if (typeof pathAndMessage === 'string') assert.ok(e.message.includes(pathAndMessage), e.message);
      else assert.match(e.message, pathAndMessage);
      return true;
    },
  );
}

describe('loadPolicy: rejected documents name the path', () => {
  const R = (over: Record<string, unknown> = {}) => route(over);
  const rule = (over: Record<string, unknown> = {}) => ({ ...allowOps, ...over });
  const when = (w: Record<string, unknown>, over: Record<string, unknown> = {}) =>
    rule({ when: { groups: ['ops'], ...w }, ...over });
  const cases: Array<[string, string, string | RegExp]> = [
    ['unknown top-level key', yamlDoc([R()], []).concat('extra: 1\n'), 'extra: unknown key'],
    [
      'unknown route key with TLS hint',
      yamlDoc([R({ insecureSkipVerify: true })], []),
      /routes\[0\]\.insecureSkipVerify: unknown key \(TLS verification cannot be disabled/,
    ],
    [
      'unknown session key',
      yamlDoc([R({ session: { maxIdleSeconds: 1, maxLifetimeSeconds: 2, maxIdelSeconds: 3 } })], []),
      'routes[0].session.maxIdelSeconds: unknown key',
    ],
    ['unknown when key', yamlDoc([R()], [when({ group: ['x'] })]), 'rules[0].when.group: unknown key'],
    ['unknown mfa key', yamlDoc([R()], [when({ mfa: { maxAge: 3 } })]), 'rules[0].when.mfa.maxAge: unknown key'],
    [
      'unknown timeWindow key',
      yamlDoc([R()], [when({ timeWindow: { days: ['mon'], from: '07:00', to: '08:00', zone: 'UTC' } })]),
      'rules[0].when.timeWindow.zone: unknown key',
    ],
    ['__proto__ key', 'routes: []\nrules: []\n__proto__: { polluted: true }\n', '__proto__: unknown key'],
    ['missing rules', 'routes: []\n', 'rules: '],
    ['not a mapping', 'hello\n', '(document)'],
    [
      'https without pin or ca',
      yamlDoc([R({ pin: undefined })], []),
      'routes[0].pin: https upstream requires pin or ca',
    ],
    ['http with pin', yamlDoc([R({ upstream: 'http://10.20.0.5' })], []), 'routes[0].upstream: pin/ca only apply'],
    ['upstream with path', yamlDoc([R({ upstream: 'https://10.20.0.5/admin' })], []), 'routes[0].upstream'],
    ['upstream with userinfo', yamlDoc([R({ upstream: 'https://u:p@10.20.0.5' })], []), 'routes[0].upstream'],
    ['upstream ftp', yamlDoc([R({ upstream: 'ftp://10.20.0.5' })], []), 'routes[0].upstream'],
    ['upstream without slashes', yamlDoc([R({ upstream: 'https:10.20.0.5' })], []), 'routes[0].upstream'],
    ['bad pin', yamlDoc([R({ pin: 'sha1/AAAA' })], []), 'routes[0].pin'],
    ['short spki pin', yamlDoc([R({ pin: 'sha256/AAAA' })], []), 'routes[0].pin'],
    ['host with port', yamlDoc([R({ host: 'cam.example.test:8443' })], []), 'routes[0].host'],
    ['host wildcard', yamlDoc([R({ host: '*.example.test' })], []), 'routes[0].host'],
    ['bad id', yamlDoc([R({ id: 'Cam Lobby' })], []), 'routes[0].id'],
    [
      'idle > lifetime',
      yamlDoc([R({ session: { maxIdleSeconds: 600, maxLifetimeSeconds: 60 } })], []),
      'routes[0].session.maxIdleSeconds',
    ],
    [
      'non-integer seconds',
      yamlDoc([R({ session: { maxIdleSeconds: 1.5, maxLifetimeSeconds: 60 } })], []),
      'routes[0].session.maxIdleSeconds',
    ],
    [
      'duplicate route id',
      yamlDoc([R(), R({ host: 'other.example.test' })], []),
      "routes[1].id: duplicate route id 'cam-lobby'",
    ],
    [
      'duplicate host (case-insensitive)',
      yamlDoc([R(), R({ id: 'other', host: 'CAM-LOBBY.consoles.example.test' })], []),
      'routes[1].host: host already used by routes[0]',
    ],
    ['duplicate rule id', yamlDoc([R()], [rule(), rule()]), "rules[1].id: duplicate rule id 'ops-read'"],
    [
      'unknown route reference',
      yamlDoc([R()], [rule({ routes: ['cam-lobby', 'cam-roof'] })]),
      "rules[0].routes[1]: unknown route 'cam-roof'",
    ],
    ['wildcard mixed with ids', yamlDoc([R()], [rule({ routes: ['*', 'cam-lobby'] })]), 'rules[0].routes'],
    ['empty routes list', yamlDoc([R()], [rule({ routes: [] })]), 'rules[0].routes'],
    ['bad effect', yamlDoc([R()], [rule({ effect: 'permit' })]), 'rules[0].effect'],
    [
      'allow without subject',
      yamlDoc([R()], [rule({ when: { methods: ['GET'] } })]),
      'rules[0].when: an allow rule must name groups or users',
    ],
    ['allow without when', yamlDoc([R()], [{ id: 'x', effect: 'allow', routes: ['*'] }]), 'rules[0].when'],
    ['deny with mfa', yamlDoc([R()], [rule({ effect: 'deny', when: { mfa: {} } })]), 'rules[0].when.mfa'],
    [
      'deny with jitGrant',
      yamlDoc([R()], [rule({ effect: 'deny', when: { jitGrant: true } })]),
      'rules[0].when.jitGrant',
    ],
    [
      'invalid CIDR',
      yamlDoc([R()], [when({ sourceCidrs: ['10.0.0.0/8', '10.0.0.256/32'] })]),
      'rules[0].when.sourceCidrs[1]: invalid CIDR address',
    ],
    [
      'CIDR host bits',
      yamlDoc([R()], [when({ sourceCidrs: ['10.1.2.3/8'] })]),
      'rules[0].when.sourceCidrs[0]: CIDR has host bits set',
    ],
    [
      'CIDR prefix too long',
      yamlDoc([R()], [when({ sourceCidrs: ['2001:db8::/129'] })]),
      'rules[0].when.sourceCidrs[0]: invalid CIDR prefix length',
    ],
    ['CIDR with zone', yamlDoc([R()], [when({ sourceCidrs: ['fe80::%eth0/64'] })]), 'rules[0].when.sourceCidrs[0]'],
    ['IPv4 leading zero', yamlDoc([R()], [when({ sourceCidrs: ['010.0.0.0/8'] })]), 'rules[0].when.sourceCidrs[0]'],
    [
      'bad clock',
      yamlDoc([R()], [when({ timeWindow: { days: ['mon'], from: '7:00', to: '19:00' } })]),
      'rules[0].when.timeWindow: from must be HH:MM',
    ],
    [
      '24:00 as from',
      yamlDoc([R()], [when({ timeWindow: { days: ['mon'], from: '24:00', to: '19:00' } })]),
      'rules[0].when.timeWindow: from must be HH:MM',
    ],
    [
      'from == to',
      yamlDoc([R()], [when({ timeWindow: { days: ['mon'], from: '08:00', to: '08:00' } })]),
      'rules[0].when.timeWindow: from and to must differ',
    ],
    [
      'unknown zone',
      yamlDoc([R()], [when({ timeWindow: { days: ['mon'], from: '08:00', to: '09:00', tz: 'Mars/Olympus_Mons' } })]),
      'rules[0].when.timeWindow: unknown time zone',
    ],
    [
      'unknown day',
      yamlDoc([R()], [when({ timeWindow: { days: ['funday'], from: '08:00', to: '09:00' } })]),
      'rules[0].when.timeWindow.days[0]',
    ],
    ['lower-case method', yamlDoc([R()], [when({ methods: ['get'] })]), 'rules[0].when.methods[0]'],
    [
      'unnormalized path',
      yamlDoc([R()], [when({ paths: ['/a/../admin'] })]),
      'rules[0].when.paths[0]: must be a normalized',
    ],
    ['relative path', yamlDoc([R()], [when({ paths: ['/ok', 'api'] })]), 'rules[0].when.paths[1]'],
    ['path with query', yamlDoc([R()], [when({ paths: ['/a?b=1'] })]), 'rules[0].when.paths[0]'],
    [
      'bad fingerprint',
      yamlDoc([R()], [when({ certificate: { issuer: 'ca', fingerprints: ['md5:00'] } })]),
      'rules[0].when.certificate.fingerprints[0]',
    ],
    ['unknown mfa method', yamlDoc([R()], [when({ mfa: { methods: ['sms'] } })]), 'rules[0].when.mfa.methods[0]'],
    ['empty groups', yamlDoc([R()], [rule({ when: { groups: [] } })]), 'rules[0].when.groups'],
    ['YAML syntax error', 'routes: []\nrules: [\n', /\(document\): YAML \w+ at line \d+, column \d+/],
    ['duplicate YAML key', 'routes: []\nroutes: []\nrules: []\n', '(document): YAML DUPLICATE_KEY'],
    ['two YAML documents', 'routes: []\nrules: []\n---\nroutes: []\n', '(document): YAML'],
    [
      'alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${'*a, '.repeat(9)}*a]\nc: &c [${'*b, '.repeat(9)}*b]\nd: [${'*c, '.repeat(99)}*c]\n`,
      '(document): YAML could not be read',
    ],
  ];
  for (const [name, text, expected] of cases) it(name, () => rejects(text, expected));

  it('refuses oversized text', () => {
    assert.throws(
      () => loadPolicy('#'.repeat(100), { maxChars: 50 }),
      (e: unknown) => isAppError(e, 'ERR_POLICY_INVALID') && e.message.includes('(document)'),
    );
  });
});
