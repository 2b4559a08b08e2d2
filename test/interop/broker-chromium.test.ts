/**
 * Real client: headless Chromium (playwright-core, /usr/bin/chromium) through the whole broker
 * flow — client certificate -> OIDC login at oidc-provider -> TOTP enrolment (code computed with
 * otpauth) -> console page -> WebSocket echo -> WebAuthn registration and sign-in with a
 * virtual authenticator (CDP WebAuthn domain) -> refused routes with reasons -> certificate
 * revoked: the open WebSocket closes and the next request is refused within 2 s.
 *
 * The client certificate is given to Playwright as a PKCS#12 (clientCertificates.pfx) that also
 * carries our CA, so Playwright's TLS client verifies the broker's and the IdP's certificates
 * against it (no ignoreHTTPSErrors anywhere). Host names reach 127.0.0.1 through a CONNECT
 * proxy (broker-connect-proxy.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { requireTool } from '../helpers/tools.ts';
import { totpCode } from '../integration/broker-flows.ts';
import { HOSTS, startWorld, type World } from '../integration/broker-harness.ts';
import { startConnectProxy } from './broker-connect-proxy.ts';

/** Evaluated in the page: the console's WebSocket got the echo back. */
const ECHOED = "document.getElementById('echo')?.textContent === 'echo:ping-from-browser'";
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function pkcs12(w: World, openssl: string, name: 'alice'): Buffer {
  const out = join(w.dir, `${name}.p12`);
  const c = w.certs[name];
  execFileSync(openssl, ['pkcs12', '-export', '-inkey', c.keyFile, '-in', c.certFile, '-certfile', w.caFile, '-passout', 'pass:test', '-out', out]);
  return readFileSync(out);
}

async function signInAtIdp(page: Page, w: World, account: string): Promise<void> {
  if (new URL(page.url()).port === String(w.idp.port)) {
    await page.fill('#login', account);
    await Promise.all([page.waitForURL((u) => u.port !== String(w.idp.port)), page.click('#signin')]);
  }
}

test('Chromium: certificate + OIDC + TOTP + WebAuthn -> console + WebSocket; revocation cuts it', { timeout: 180_000 }, async (t) => {
  if (!requireTool(t, 'chromium', 'chromium')) return;
  const openssl = requireTool(t, 'openssl', 'openssl');
  if (!openssl) return;
  const w = await startWorld();
  const proxy = await startConnectProxy(w.ports);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  t.after(async () => {
    await browser.close();
    await proxy.close();
    await w.stop();
  });
  const pfx = pkcs12(w, openssl, 'alice');
  const origins = [...new Set(Object.keys(w.ports).map((h) => w.origin(h)))];
  const context = await browser.newContext({ proxy: { server: proxy.url }, clientCertificates: origins.map((origin) => ({ origin, pfx, passphrase: 'test' })) });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true } });

  // 1. console URL -> broker -> IdP -> MFA page; enrol TOTP with a code computed here.
  await page.goto(w.url(HOSTS.cam, '/console'));
  await signInAtIdp(page, w, 'alice');
  assert.equal(new URL(page.url()).pathname, '/mfa');
  await page.click('#totp-enrol');
  const secret = (await page.textContent('#totp-secret'))!.trim();
  await page.fill('#totp-code', totpCode(secret));
  await Promise.all([page.waitForURL((u) => u.hostname === HOSTS.cam), page.click('#totp-submit')]);

  // 2. the console page opens a WebSocket through the broker and gets the echo.
  assert.equal(await page.textContent('#title'), 'Camera console');
  await page.waitForFunction(ECHOED);

  // 3. register a security key on the broker (virtual authenticator), then sign out.
  await page.goto(w.url(HOSTS.broker, '/mfa/manage'));
  await Promise.all([page.waitForNavigation(), page.click('#webauthn-register')]);
  await page.goto(w.url(HOSTS.broker, '/mfa/manage'));
  assert.match((await page.textContent('body'))!, /Security keys: 1/);
  await page.goto(w.url(HOSTS.broker, '/logout'));
  await Promise.all([page.waitForLoadState(), page.click('#logout')]);
  assert.match((await page.textContent('h1'))!, /Signed out/);

  // 4. sign in again for the sensitive route, this time with the security key.
  await page.goto(w.url(HOSTS.hvac, '/panel'));
  await signInAtIdp(page, w, 'alice');
  assert.equal(new URL(page.url()).pathname, '/mfa');
  await Promise.all([page.waitForURL((u) => u.hostname === HOSTS.hvac), page.click('#webauthn-authenticate')]);
  assert.match((await page.textContent('body'))!, /"url":"\/panel"/);

  // 5. everything else is refused with a reason.
  const admin = await page.goto(w.url(HOSTS.cam, '/admin/users'));
  assert.equal(admin?.status(), 403);
  assert.match((await page.textContent('body'))!, /denied-by-rule:deny-admin-paths/);
  const sw = await page.goto(w.url(HOSTS.sw, '/'));
  assert.equal(sw?.status(), 403);
  assert.match((await page.textContent('body'))!, /jit-grant-required/);

  // 6. console + WebSocket again, then revoke the certificate: both are cut within 2 s.
  await page.goto(w.url(HOSTS.cam, '/console'));
  await page.waitForFunction(ECHOED);
  const wsBefore = w.upstream.sockets.size;
  assert.ok(wsBefore >= 1);
  const t0 = Date.now();
  await w.pki.ca.revoke(w.certs.alice.serial, 'keyCompromise', { actor: 'test:admin' });
  await page.waitForFunction('window.wsClosed === true', undefined, { timeout: 2_000 });
  const after = await page.goto(w.url(HOSTS.cam, '/console'), { timeout: 2_000 });
  t.diagnostic(`revocation -> WebSocket closed and next request refused after ${Date.now() - t0} ms`);
  assert.equal(after?.status(), 403);
  assert.match((await page.textContent('body'))!, /certificate-revoked/);
});
