/**
 * Sign-in flows for the broker tests, driven through TestBrowser against the real broker and
 * the real OpenID Provider: console URL -> broker login -> IdP login form -> callback -> MFA
 * (TOTP enrolment and verification computed with otpauth) -> hand-off -> console.
 *
 * Rules: each step asserts where it landed, so a flow that silently skips a factor fails.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as OTPAuth from 'otpauth';
import { textById, type Reply, type TestBrowser } from './broker-client.ts';
import type { World } from './broker-harness.ts';

/** Follows `url` through the broker to the IdP form and signs in as `account`; returns the first reply after the IdP. */
export async function passIdp(w: World, b: TestBrowser, url: string, account: string): Promise<Reply> {
  const r = await b.follow(url);
  assert.equal(new URL(r.url).port, String(w.idp.port), `expected the IdP login page, got ${r.status} ${r.url}`);
  const action = /action="([^"]+)"/.exec(r.body)?.[1];
  assert.ok(action, 'IdP login form');
  return b.follow(new URL(action, r.url).href, { method: 'POST', body: new URLSearchParams({ login: account }) });
}

export function totpCode(secret: string, at = Date.now()): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });
}

export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html) ?? /name="gatehouse-csrf" content="([^"]+)"/.exec(html);
  assert.ok(m, 'page carries a CSRF token');
  return m[1]!;
}

/** Full first login of a user without a factor: enrols TOTP, returns the secret and the final reply. */
export async function signInWithTotpEnrolment(w: World, b: TestBrowser, account: string, url: string): Promise<{ secret: string; reply: Reply }> {
  const afterIdp = await passIdp(w, b, url, account);
  assert.equal(new URL(afterIdp.url).pathname, '/mfa', `expected the MFA page, got ${afterIdp.status} ${afterIdp.url}`);
  const enrol = await b.request(w.url('broker.gatehouse.test', '/mfa/totp/enrol'));
  assert.equal(enrol.status, 200, enrol.body);
  const secret = textById(enrol.body, 'totp-secret');
  assert.ok(secret, 'enrolment page shows the secret');
  const reply = await b.follow(w.url('broker.gatehouse.test', '/mfa/totp'), { method: 'POST', body: new URLSearchParams({ csrf: csrfOf(enrol.body), code: totpCode(secret, w.now()) }), headers: { origin: w.origin('broker.gatehouse.test') } });
  return { secret, reply };
}

/** Submits a TOTP code on the broker's MFA page (first factor already enrolled). */
export async function submitTotp(w: World, b: TestBrowser, code: string): Promise<Reply> {
  const page = await b.request(w.url('broker.gatehouse.test', '/mfa'));
  assert.equal(page.status, 200, page.body);
  return b.follow(w.url('broker.gatehouse.test', '/mfa/totp'), { method: 'POST', body: new URLSearchParams({ csrf: csrfOf(page.body), code }), headers: { origin: w.origin('broker.gatehouse.test') } });
}

export interface CurlReply {
  status: number;
  body: string;
  headers: string;
}

/**
 * Runs curl (HTTP/1.1, --path-as-is, no redirects) against a mapped host with an optional client
 * certificate. Asynchronous: the broker answers from this same process.
 */
export async function curl(w: World, bin: string, o: { host: string; path: string; method?: string; cert?: { certFile: string; keyFile: string } | null; cookie?: string; headers?: string[] }): Promise<CurlReply> {
  const args = ['-sS', '--http1.1', '--path-as-is', '--max-time', '10', '-D', '-', '-o', '-', '--cacert', w.caFile, '--resolve', `${o.host}:${w.port}:127.0.0.1`];
  if (o.cert) args.push('--cert', o.cert.certFile, '--key', o.cert.keyFile);
  if (o.cookie) args.push('-b', o.cookie);
  for (const h of o.headers ?? []) args.push('-H', h);
  if (o.method === 'HEAD') args.push('-I');
  else if (o.method) args.push('-X', o.method);
  args.push(`https://${o.host}:${w.port}${o.path}`);
  const { stdout: out } = await promisify(execFile)(bin, args, { encoding: 'utf8' });
  const split = out.indexOf('\r\n\r\n');
  const headers = split < 0 ? out : out.slice(0, split);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0);
  return { status, headers, body: split < 0 ? '' : out.slice(split + 4) };
}
