import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeRequestHeaders, stripBrokerCookies } from '../../../../ztna-broker/policy/index.ts';

const opts = { brokerCookieNames: ['__Host-gatehouse-session', '__Host-gatehouse-preauth', 'gh_csrf'] };

describe('sanitizeRequestHeaders: stripped headers', () => {
  const stripped = [
    // hop-by-hop (RFC 9110 §7.6.1)
    'connection',
    'keep-alive',
    'proxy-connection',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
    'proxy-authorization',
    'proxy-authenticate',
    // forwarding
    'forwarded',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-forwarded-port',
    'x-forwarded-prefix',
    'x-forwarded-client-cert',
    'x-forwarded-user',
    'x-forwarded-email',
    'x-forwarded-groups',
    'X_Forwarded_For',
    'x_forwarded-proto',
    'X-Forwarded-For',
    'x-real-ip',
    'X_Real_IP',
    'true-client-ip',
    'x-client-ip',
    'client-ip',
    'x-cluster-client-ip',
    'cf-connecting-ip',
    'x-original-url',
    'x-rewrite-url',
    'x-http-method-override',
    'x-method-override',
    'x-host',
    'proxy',
    // client certificates
    'x-ssl-client-cert',
    'x-ssl-client-verify',
    'x-ssl-client-s-dn',
    'x_ssl_client_cert',
    'x-client-cert',
    'x-client-certificate',
    'x-client-verify',
    'x-client-dn',
    'ssl-client-cert',
    'ssl_client_verify',
    'ssl-client-s-dn',
    'x-arr-clientcert',
    'X-ARR-ClientCert',
    'x-arr-ssl',
    'client-cert',
    'client-cert-chain',
    'x-tls-client-cert',
    'x-amzn-mtls-clientcert',
    // identity
    'x-remote-user',
    'X_Remote_User',
    'x-remote-groups',
    'remote-user',
    'remote_user',
    'remote-email',
    'x-auth-request-user',
    'x-auth-request-email',
    'x-auth-token',
    'x-gatehouse-user',
    'x-gatehouse-assertion',
    'X_Gatehouse_Assertion',
    'x-user',
    'x-email',
    'x-webauth-user',
    'x-authenticated-user',
    'x-amzn-oidc-data',
    'x-amzn-oidc-identity',
    'x-goog-authenticated-user-email',
    'x-goog-iap-jwt-assertion',
    'cf-access-jwt-assertion',
    'x-pomerium-jwt-assertion',
    'x-ms-client-principal-name',
    'x-ms-client-principal',
    'x-jwt-assertion',
    'x-id-token',
    'x-access-token',
  ];
  for (const name of stripped) {
    it(name, () => {
      const out = sanitizeRequestHeaders({ [name]: 'spoofed', accept: 'text/html' }, opts);
      assert.deepEqual(out, { accept: 'text/html' });
    });
  }
});

describe('sanitizeRequestHeaders: kept headers', () => {
  it('keeps ordinary end-to-end headers, lower-cased, arrays preserved', () => {
    const input = {
      host: 'cam-lobby.consoles.example.test',
      accept: 'text/html',
      'Accept-Language': 'en',
      authorization: 'Basic ZGV2aWNlOmFkbWlu',
      'content-type': 'application/json',
      'content-length': '2',
      'user-agent': 'ua',
      'x-requested-with': 'XMLHttpRequest',
      'x-csrf-token': 'device-own-token',
      'if-none-match': ['"a"', '"b"'],
      'sec-websocket-key': 'k',
      'sec-websocket-version': '13',
      origin: 'https://cam-lobby.consoles.example.test',
      missing: undefined,
    };
    const out = sanitizeRequestHeaders(input, opts);
    assert.deepEqual(out, {
      host: 'cam-lobby.consoles.example.test',
      accept: 'text/html',
      'accept-language': 'en',
      authorization: 'Basic ZGV2aWNlOmFkbWlu',
      'content-type': 'application/json',
      'content-length': '2',
      'user-agent': 'ua',
      'x-requested-with': 'XMLHttpRequest',
      'x-csrf-token': 'device-own-token',
      'if-none-match': ['"a"', '"b"'],
      'sec-websocket-key': 'k',
      'sec-websocket-version': '13',
      origin: 'https://cam-lobby.consoles.example.test',
    });
  });

  it('does not modify its input', () => {
    const input = { 'x-forwarded-for': '1.2.3.4', cookie: '__Host-gatehouse-session=s; a=1', arr: ['x'] };
    const copy = structuredClone(input);
    const out = sanitizeRequestHeaders(input, opts);
    assert.deepEqual(input, copy);
    assert.notEqual(out['arr'], input.arr);
  });
});

describe('sanitizeRequestHeaders: Connection-listed headers', () => {
  it('removes headers named in Connection but never Host or Content-Length', () => {
    const out = sanitizeRequestHeaders(
      {
        connection: 'keep-alive, X-Custom, x_other, Host, content-length',
        'x-custom': '1',
        'x-other': '2',
        host: 'h',
        'content-length': '0',
        accept: '*/*',
      },
      opts,
    );
    assert.deepEqual(out, { host: 'h', 'content-length': '0', accept: '*/*' });
  });
  it('reads Connection given as an array', () => {
    const out = sanitizeRequestHeaders({ connection: ['a', 'b'], a: '1', b: '2', c: '3' }, opts);
    assert.deepEqual(out, { c: '3' });
  });
});

describe('sanitizeRequestHeaders: odd names', () => {
  it('drops names that are not tokens and __proto__', () => {
    const input: Record<string, string> = { 'bad name': '1', 'x:y': '2', ok: '3' };
    Object.defineProperty(input, '__proto__', { value: 'x', enumerable: true });
    const out = sanitizeRequestHeaders(input, opts);
    assert.deepEqual(Object.keys(out), ['ok']);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
  it('merges duplicate names that differ in case', () => {
    assert.deepEqual(sanitizeRequestHeaders({ 'X-A': '1', 'x-a': ['2'] }, opts), { 'x-a': ['1', '2'] });
  });
});

describe('broker cookies', () => {
  const cases: Array<[string | string[], string | null]> = [
    ['__Host-gatehouse-session=abc; device_sid=1; gh_csrf=t', 'device_sid=1'],
    ['device_sid=1;theme=dark', 'device_sid=1; theme=dark'],
    ['__Host-gatehouse-session=abc', null],
    ['__host-GATEHOUSE-session=abc; a=1', 'a=1'],
    [' __Host-gatehouse-preauth = x ;a=1; ;', 'a=1'],
    ['a=__Host-gatehouse-session; b=2', 'a=__Host-gatehouse-session; b=2'],
    ['__Host-gatehouse-session-old=1', '__Host-gatehouse-session-old=1'],
    ['gh_csrf', null],
    [['a=1; gh_csrf=x', 'b=2', '__Host-gatehouse-session=s'], 'a=1; b=2'],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => {
      assert.equal(stripBrokerCookies(input, opts.brokerCookieNames), expected);
      const out = sanitizeRequestHeaders({ cookie: input, accept: 'x' }, opts);
      if (expected === null) assert.deepEqual(out, { accept: 'x' });
      else assert.deepEqual(out, { cookie: expected, accept: 'x' });
    });
  }
});
