import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../../../platform/errors.ts';
import { normalizePath, isNormalizedPath } from '../../../../ztna-broker/policy/index.ts';

describe('normalizePath: accepted targets and their normal form', () => {
  const cases: Array<[string, string, string?]> = [
    ['/', '/'],
    ['/status', '/status'],
    ['/a/../admin', '/admin'],
    ['/a/b/../../admin', '/admin'],
    ['//admin', '/admin'],
    ['///a////b//', '/a/b/'],
    ['/a//../b', '/b'],
    ['/./admin', '/admin'],
    ['/a/./b/.', '/a/b/'],
    ['/a/b/..', '/a/'],
    ['/a/..', '/'],
    ['/a/%2e%2e/admin', '/admin'],
    ['/a/%2E%2e/admin', '/admin'],
    ['/a/.%2E/admin', '/admin'],
    ['/%2e/admin', '/admin'],
    ['/...', '/...'],
    ['/a..b/..c', '/a..b/..c'],
    ['/%7Euser/%41%62%63', '/~user/Abc'],
    ['/%7euser', '/~user'],
    ['/file%20name', '/file%20name'],
    ['/file%3f%23', '/file%3F%23'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/%E2%82%AC', '/%E2%82%AC'],
    ['/a|b^c[d]{e}`"<>', '/a%7Cb%5Ec%5Bd%5D%7Be%7D%60%22%3C%3E'],
    ["/!$&'()*+,=:@", "/!$&'()*+,=:@"],
    ['/100%25', '/100%25'],
    ['/a?b=1&c=%2F..', '/a', 'b=1&c=%2F..'],
    ['/a/../b?', '/b', ''],
    ['/a?x?y', '/a', 'x?y'],
  ];
  for (const [input, path, query = ''] of cases) {
    it(`${input} → ${path}`, () => assert.deepEqual(normalizePath(input), { path, query }));
  }
});

describe('normalizePath: refused targets throw ERR_BAD_INPUT', () => {
  const cases: Array<[string, string]> = [
    ['encoded slash', '/a%2Fb'],
    ['encoded slash, lower case', '/a%2fb'],
    ['encoded dot-dot-slash', '/%2e%2e%2fadmin'],
    ['encoded backslash', '/a%5Cb'],
    ['encoded backslash, lower case', '/a%5cb'],
    ['encoded NUL', '/a%00.html'],
    ['encoded CR LF', '/a%0d%0aSet-Cookie:x'],
    ['encoded DEL', '/a%7F'],
    ['raw backslash', '/a\\..\\admin'],
    ['jsessionid path parameter', '/app;jsessionid=ABC/admin'],
    ['matrix parameter dot-dot', '/a/..;/admin'],
    ['encoded semicolon', '/a%3Bx/admin'],
    ['climb above root', '/..'],
    ['climb above root later', '/a/../../etc/passwd'],
    ['encoded climb above root', '/%2e%2e/'],
    ['encoded climb, mixed case', '/%2E%2e/admin'],
    ['double encoding of dot', '/%252e%252e/admin'],
    ['double encoding of slash', '/a%252Fb'],
    ['double encoding via decoded digits', '/%25%32%66'],
    ['overlong UTF-8 slash', '/a%C0%AFb'],
    ['overlong UTF-8 dot', '/%C0%AE%C0%AE/admin'],
    ['three-byte overlong slash', '/a%E0%80%AFb'],
    ['lone continuation byte', '/a%80'],
    ['truncated UTF-8', '/a%C3'],
    ['malformed percent', '/a%2'],
    ['malformed percent hex', '/a%zz'],
    ['trailing percent', '/a%'],
    ['space', '/a b'],
    ['tab', '/a\tb'],
    ['raw non-ASCII', '/café'],
    ['fragment', '/a#frag'],
    ['control in query', '/a?x=\n'],
    ['relative', 'admin'],
    ['absolute-form', 'http://cam/admin'],
    ['asterisk-form', '*'],
    ['empty', ''],
    ['too long', '/' + 'a'.repeat(9000)],
  ];
  for (const [name, input] of cases) {
    it(name, () =>
      assert.throws(
        () => normalizePath(input),
        (e: unknown) => isAppError(e, 'ERR_BAD_INPUT'),
      ),
    );
  }
  it('refuses a non-string', () => {
    assert.throws(
      () => normalizePath(42 as unknown as string),
      (e: unknown) => isAppError(e, 'ERR_BAD_INPUT'),
    );
  });
});

describe('isNormalizedPath', () => {
  it('is true only for fixed points without a query', () => {
    assert.equal(isNormalizedPath('/a/b/'), true);
    assert.equal(isNormalizedPath('/a//b'), false);
    assert.equal(isNormalizedPath('/%7e'), false);
    assert.equal(isNormalizedPath('/a?b'), false);
    assert.equal(isNormalizedPath('/a%2f'), false);
  });
});
