import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../../../platform/errors.ts';
import { loadPolicy } from '../../../../ztna-broker/policy/index.ts';
import { CERT_FP, SPKI_PIN, route, yamlDoc } from './fixtures.ts';

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

describe('loadPolicy: the documented example', () => {
  const example = `
routes:
  - id: cam-lobby
    host: Cam-Lobby.consoles.example.test
    upstream: https://10.20.0.5:443
    pin: ${SPKI_PIN}
    websocket: true
    sensitive: true
    session: { maxIdleSeconds: 900, maxLifetimeSeconds: 28800 }
  - id: hvac
    host: hvac.consoles.example.test
    upstream: http://10.20.0.9:8080
rules:
  - id: ops-read
    effect: allow
    routes: [cam-lobby]
    when:
      groups: [ops]
      users: [Alice@Example.test]
      certificate: { issuer: issuing-ca-1, fingerprints: ["sha256:${CERT_FP.toUpperCase()}"] }
      mfa: { methods: [totp, webauthn, idp], maxAgeSeconds: 300 }
      methods: [GET, HEAD]
      paths: [/status, /api/]
      sourceCidrs: [10.0.0.0/8, 2001:db8::/32]
      timeWindow: { days: [mon, tue, wed, thu, fri], from: "07:00", to: "19:00", tz: "UTC" }
      jitGrant: true
  - id: block-all-maint
    effect: deny
    routes: ['*']
    when: { paths: [/maintenance] }
`;

  it('compiles routes, defaults and indexes', () => {
    const p = loadPolicy(example);
    const cam = p.routes.get('cam-lobby');
    assert.ok(cam);
    assert.equal(cam.host, 'cam-lobby.consoles.example.test');
    assert.deepEqual(cam.upstream, {
      origin: 'https://10.20.0.5',
      protocol: 'https:',
      hostname: '10.20.0.5',
      port: 443,
    });
    assert.deepEqual(cam.pins, [{ kind: 'spki-sha256', base64: SPKI_PIN.slice(7) }]);
    assert.equal(cam.websocket, true);
    assert.equal(cam.sensitive, true);
    const hvac = p.routes.get('hvac');
    assert.ok(hvac);
    assert.deepEqual(hvac.session, { maxIdleSeconds: 900, maxLifetimeSeconds: 28_800 });
    assert.equal(hvac.websocket, false);
    assert.equal(hvac.upstream.port, 8080);
    assert.deepEqual(hvac.pins, []);
    assert.equal(p.routesByHost.get('cam-lobby.consoles.example.test'), cam);
    assert.deepEqual(
      p.rulesByRoute.get('cam-lobby')?.allow.map((r) => r.id),
      ['ops-read'],
    );
    assert.deepEqual(
      p.rulesByRoute.get('cam-lobby')?.deny.map((r) => r.id),
      ['block-all-maint'],
    );
    assert.deepEqual(
      p.rulesByRoute.get('hvac')?.allow.map((r) => r.id),
      [],
    );
    assert.deepEqual(
      p.rulesByRoute.get('hvac')?.deny.map((r) => r.id),
      ['block-all-maint'],
    );
    const rule = p.rules[0];
    assert.ok(rule);
    assert.ok(rule.usersLower?.has('alice@example.test'));
    assert.ok(rule.certificate?.fingerprints?.has(CERT_FP));
    assert.deepEqual(rule.pathPrefixes, ['/status', '/api']);
    assert.equal(p.stepUpMaxAgeSeconds, 300);
    assert.ok(Object.isFrozen(p) && Object.isFrozen(cam) && Object.isFrozen(rule));
  });

  it('takes the step-up max age from options', () => {
    assert.equal(loadPolicy(example, { stepUpMaxAgeSeconds: 120 }).stepUpMaxAgeSeconds, 120);
    assert.throws(
      () => loadPolicy(example, { stepUpMaxAgeSeconds: 0 }),
      (e: unknown) => isAppError(e, 'ERR_CONFIG'),
    );
  });

  it('accepts ca instead of pin, pin lists and OpenSSL-style hex pins', () => {
    const colonHex = `sha256:${CERT_FP.match(/../g)?.join(':').toUpperCase()}`;
    const p = loadPolicy(
      yamlDoc(
        [
          route({ pin: undefined, ca: '/etc/gatehouse/upstream-ca.pem' }),
          route({ id: 'sw', host: 'sw.consoles.example.test', pin: [SPKI_PIN, colonHex] }),
        ],
        [],
      ),
    );
    assert.equal(p.routes.get('cam-lobby')?.ca, '/etc/gatehouse/upstream-ca.pem');
    assert.deepEqual(p.routes.get('sw')?.pins[1], { kind: 'cert-sha256', hex: CERT_FP });
  });

  it('reads YAML 1.2: unquoted 07:00 is a string, yes/no are not booleans', () => {
    const text = [
      'routes:',
      '  - { id: cam, host: cam.example.test, upstream: "http://10.0.0.1" }',
      'rules:',
      '  - id: r',
      '    effect: allow',
      '    routes: [cam]',
      '    when: { groups: [ops], timeWindow: { days: [mon], from: 07:00, to: 19:30 } }',
    ].join('\n');
    assert.equal(loadPolicy(text).rules[0]?.timeWindow?.fromMinute, 420);
    rejects(
      text.replace('upstream: "http://10.0.0.1"', 'upstream: "http://10.0.0.1", websocket: yes'),
      'routes[0].websocket: Invalid input: expected boolean',
    );
  });

  it('accepts an empty policy (everything is denied)', () => {
    assert.equal(loadPolicy('routes: []\nrules: []\n').routes.size, 0);
  });
});
