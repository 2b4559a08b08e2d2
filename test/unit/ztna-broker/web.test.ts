/**
 * Cookies, Host parsing, same-origin checks and return-to validation (open-redirect guard),
 * table-driven plus fast-check properties: garbage never throws and never yields a host outside
 * the broker's scope or a URL that leaves https.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isAppError } from '../../../platform/errors.ts';
import { clearCookie, readCookie, serializeCookie, SESSION_COOKIE } from '../../../ztna-broker/web/cookies.ts';
import { parseReturnTo, urlOf, type RedirectScope } from '../../../ztna-broker/web/redirects.ts';
import { assertSameOrigin, hostOf } from '../../../ztna-broker/web/request.ts';

const TOKEN = 'A'.repeat(43);
const scope: RedirectScope = { brokerHost: 'broker.gatehouse.test', publicPort: 8444, isRouteHost: (h) => h === 'cam.gatehouse.test' };
const req = (headers: Record<string, string | string[]>) => ({ headers, headersDistinct: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])) }) as unknown as IncomingMessage;

describe('cookies', () => {
  it('reads exactly one well-formed value of a name', () => {
    assert.equal(readCookie(`a=1; ${SESSION_COOKIE}=${TOKEN}; b=2`, SESSION_COOKIE), TOKEN);
    assert.equal(readCookie(undefined, SESSION_COOKIE), null);
    assert.equal(readCookie(`${SESSION_COOKIE}=short`, SESSION_COOKIE), null);
    assert.equal(readCookie(`${SESSION_COOKIE}=${TOKEN}; ${SESSION_COOKIE}=${'B'.repeat(43)}`, SESSION_COOKIE), null, 'cookie tossing: duplicates are refused');
    assert.equal(readCookie([`${SESSION_COOKIE}=${TOKEN}`, `${SESSION_COOKIE}=${TOKEN}`], SESSION_COOKIE), null);
    assert.equal(readCookie(`${SESSION_COOKIE}=${TOKEN}"`, SESSION_COOKIE), null);
    assert.equal(readCookie(`__host-gatehouse-session=${TOKEN}`, SESSION_COOKIE), null, 'names are exact');
  });

  it('writes __Host- cookies: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', () => {
    const c = serializeCookie(SESSION_COOKIE, TOKEN);
    assert.equal(c, `${SESSION_COOKIE}=${TOKEN}; Path=/; Secure; HttpOnly; SameSite=Lax`);
    assert.doesNotMatch(c, /Domain/i);
    assert.match(clearCookie(SESSION_COOKIE), /Max-Age=0/);
    assert.throws(() => serializeCookie('session', TOKEN));
  });

  it('never throws on garbage', () => {
    fc.assert(fc.property(fc.string(), (s) => void readCookie(s, SESSION_COOKIE)));
  });
});

describe('Host and origin', () => {
  it('takes the Host header only, lower-cased, port removed', () => {
    assert.equal(hostOf(req({ host: 'CAM.Gatehouse.test:8444' })), 'cam.gatehouse.test');
    assert.equal(hostOf(req({ host: 'cam.gatehouse.test.' })), 'cam.gatehouse.test');
    for (const bad of ['', 'a b', 'evil.example@cam', 'cam..test', '[::1]', 'cam.test:8444:1', 'cam.test, evil']) assert.equal(hostOf(req({ host: bad })), null, bad);
    assert.equal(hostOf(req({ host: ['a.test', 'b.test'] })), null, 'repeated Host refused');
    assert.equal(hostOf(req({})), null);
  });

  it('refuses cross-origin and cross-site state changes', () => {
    const o = 'https://broker.gatehouse.test:8444';
    assertSameOrigin(req({ origin: o, 'sec-fetch-site': 'same-origin' }), o);
    assertSameOrigin(req({}), o);
    const bad: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { origin: o, 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }];
    for (const h of bad) {
      assert.throws(() => assertSameOrigin(req(h), o), (e) => isAppError(e, 'ERR_CSRF'));
    }
  });
});

describe('return-to (open redirect guard)', () => {
  it('accepts broker paths and route-host URLs on the public port, normalized', () => {
    assert.deepEqual(parseReturnTo('/access?x=1#frag', scope), { host: 'broker.gatehouse.test', target: '/access?x=1' });
    assert.deepEqual(parseReturnTo('https://cam.gatehouse.test:8444/a/./b/../c?q', scope), { host: 'cam.gatehouse.test', target: '/a/c?q' });
    assert.deepEqual(parseReturnTo('https://CAM.gatehouse.test:8444', scope), { host: 'cam.gatehouse.test', target: '/' });
    assert.equal(urlOf({ host: 'cam.gatehouse.test', target: '/x' }, 8444), 'https://cam.gatehouse.test:8444/x');
    assert.equal(urlOf({ host: 'cam.gatehouse.test', target: '/x' }, 443), 'https://cam.gatehouse.test/x');
  });

  const BAD = [
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '/\t/evil.example',
    '\\\\evil.example',
    'https://evil.example@cam.gatehouse.test:8444/',
    'https://cam.gatehouse.test:8444@evil.example/',
    'https://user:pw@cam.gatehouse.test:8444/',
    'https://cam.gatehouse.test.evil.example:8444/',
    'https://cam.gatehouse.test:443/',
    'https://cam.gatehouse.test/',
    'http://cam.gatehouse.test:8444/',
    'javascript:alert(1)',
    'data:text/html,x',
    'https:/cam.gatehouse.test:8444/',
    'https:cam.gatehouse.test',
    ' /x',
    '/x\r\nSet-Cookie: a=b',
    '/%2F%2Fevil.example',
    '/a/%2e%2e/%2e%2e/x',
    'https://cam.gatehouse.test:8444/%2Fadmin',
    '',
    'x'.repeat(5000),
  ];
  for (const rd of BAD) it(`refuses ${JSON.stringify(rd.slice(0, 60))}`, () => assert.equal(parseReturnTo(rd, scope), null));

  it('never throws and never leaves the scope (property)', () => {
    const pieces = fc.constantFrom('https://', 'http://', '//', '/', '\\', '@', ':8444', ':443', 'cam.gatehouse.test', 'broker.gatehouse.test', 'evil.example', '.', '..', '%2f', '%2e', '#', '?', 'a', ' ', '\t');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(pieces, { maxLength: 12 }).map((a) => a.join(''))), (s) => {
        const r = parseReturnTo(s, scope);
        if (r === null) return;
        assert.ok(r.host === scope.brokerHost || scope.isRouteHost(r.host));
        assert.ok(r.target.startsWith('/') && !r.target.startsWith('//'));
        assert.equal(new URL(urlOf(r, 8444)).hostname, r.host);
      }),
      { numRuns: 3000 },
    );
  });
});
