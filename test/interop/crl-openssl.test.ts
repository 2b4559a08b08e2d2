/**
 * CRLs published by CrlService (over the real issuance core) checked by real clients:
 * OpenSSL (crl -text, verify -x509_strict -crl_check, -use_deltas, -crl_download from the
 * certificates' CDP) and GnuTLS certtool (--crl-info, --verify-crl).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crlUrls } from '../../ca/crl/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { run, servedCa } from '../unit/ca/crl/interop-fixture.ts';

const upper = (serial: string) => (serial.length % 2 ? '0' + serial : serial).toUpperCase();

test('OpenSSL: complete CRL fields, good leaf OK, revoked leaf "certificate revoked", CRL fetched from the CDP', async (t) => {
  const openssl = requireTool(t, 'openssl', 'openssl');
  if (!openssl) return;
  const s = await servedCa();
  try {
    await s.issue('good');
    const bad = await s.issue('bad');
    await s.ca.ca.revoke(bad.serial, 'keyCompromise', {
      actor: 'test',
      invalidityDate: new Date(Date.now() - 3_600_000),
    });
    const crl = await s.crl.publish(s.issuerId);
    s.writeCrl('crl', crl);

    const text = await run(openssl, ['crl', '-inform', 'DER', '-in', s.path('crl.der'), '-text', '-noout']);
    assert.equal(text.code, 0, text.stderr);
    const urls = crlUrls(s.baseUrl, s.issuerId);
    for (const want of [
      'Version 2 (0x1)',
      'X509v3 CRL Number: \n                1',
      'X509v3 Issuing Distribution Point: critical',
      `URI:${urls.full}`,
      'Only User Certificates',
      'X509v3 Freshest CRL:',
      `URI:${urls.delta}`,
      `Serial Number: ${upper(bad.serial)}`,
      'Key Compromise',
      'Invalidity Date:',
      'X509v3 Authority Key Identifier:',
    ]) {
      assert.ok(text.stdout.includes(want), `openssl crl -text lacks ${JSON.stringify(want)}:\n${text.stdout}`);
    }

    const verify = (leaf: string, extra: string[] = ['-CRLfile', s.path('crl.pem')]) =>
      run(openssl, [
        'verify',
        '-x509_strict',
        '-crl_check',
        ...extra,
        '-CAfile',
        s.path('root.pem'),
        '-untrusted',
        s.path('issuing.pem'),
        s.path(leaf),
      ]);
    const ok = await verify('good.pem');
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /good\.pem: OK/);
    const revoked = await verify('bad.pem');
    assert.notEqual(revoked.code, 0);
    assert.match(revoked.stdout + revoked.stderr, /certificate revoked/);

    // the CDP URL in the certificate resolves to the CRL served by the router (IDP == CDP)
    const dlGood = await verify('good.pem', ['-crl_download']);
    assert.equal(dlGood.code, 0, dlGood.stdout + dlGood.stderr);
    const dlBad = await verify('bad.pem', ['-crl_download']);
    assert.match(dlBad.stdout + dlBad.stderr, /certificate revoked/);
  } finally {
    await s.close();
  }
});

test('OpenSSL -use_deltas: a revocation after the base shows through the delta; a released hold is lifted by it', async (t) => {
  const openssl = requireTool(t, 'openssl', 'openssl');
  if (!openssl) return;
  const s = await servedCa();
  try {
    await s.issue('good');
    const late = await s.issue('late');
    const held = await s.issue('held');
    await s.ca.ca.revoke(held.serial, 'certificateHold', { actor: 'test' });
    s.writeCrl('base', await s.crl.publish(s.issuerId));
    await s.ca.ca.revoke(late.serial, 'keyCompromise', { actor: 'test' });
    await s.ca.ca.revoke(held.serial, 'removeFromCRL', { actor: 'test' });
    const delta = await s.crl.publish(s.issuerId, { delta: true });
    assert.equal(delta.baseNumber, 1);
    s.writeCrl('delta', delta);

    const text = await run(openssl, ['crl', '-inform', 'DER', '-in', s.path('delta.der'), '-text', '-noout']);
    assert.match(text.stdout, /X509v3 Delta CRL Indicator: critical\s+1/);
    assert.match(text.stdout, /Remove From CRL/);

    const verify = (leaf: string, crls: string[], deltas: boolean) =>
      run(openssl, [
        'verify',
        '-x509_strict',
        '-crl_check',
        ...(deltas ? ['-use_deltas'] : []),
        ...crls.flatMap((c) => ['-CRLfile', s.path(c)]),
        '-CAfile',
        s.path('root.pem'),
        '-untrusted',
        s.path('issuing.pem'),
        s.path(leaf),
      ]);
    assert.equal((await verify('late.pem', ['base.pem'], false)).code, 0, 'the base alone predates the revocation');
    const viaDelta = await verify('late.pem', ['base.pem', 'delta.pem'], true);
    assert.notEqual(viaDelta.code, 0);
    assert.match(viaDelta.stdout + viaDelta.stderr, /certificate revoked/);
    assert.equal((await verify('good.pem', ['base.pem', 'delta.pem'], true)).code, 0);
    const onHold = await verify('held.pem', ['base.pem'], false);
    assert.notEqual(onHold.code, 0);
    assert.match(onHold.stdout + onHold.stderr, /certificate revoked/, 'the base lists the hold');
    const released = await verify('held.pem', ['base.pem', 'delta.pem'], true);
    assert.equal(released.code, 0, 'removeFromCRL in the delta lifts the hold: ' + released.stdout + released.stderr);
  } finally {
    await s.close();
  }
});

test('GnuTLS certtool: --crl-info lists the entries, --verify-crl verifies complete and delta CRLs with the issuing CA', async (t) => {
  const certtool = requireTool(t, 'certtool', 'gnutls-bin');
  if (!certtool) return;
  const s = await servedCa();
  try {
    const a = await s.issue('a');
    const b = await s.issue('b');
    await s.ca.ca.revoke(a.serial, 'superseded', { actor: 'test' });
    await s.ca.ca.revoke(b.serial, 'unspecified', { actor: 'test' });
    s.writeCrl('crl', await s.crl.publish(s.issuerId));
    s.writeCrl('delta', await s.crl.publish(s.issuerId, { delta: true }));
    const info = await run(certtool, ['--crl-info', '--inder', '--infile', s.path('crl.der')]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /Version: 2/);
    assert.match(info.stdout, /Revoked certificates \(2\)/);
    for (const serial of [a.serial, b.serial])
      assert.ok(info.stdout.includes((serial.length % 2 ? '0' : '') + serial), serial);
    for (const f of ['crl.pem', 'delta.pem']) {
      const v = await run(certtool, [
        '--verify-crl',
        '--load-ca-certificate',
        s.path('issuing.pem'),
        '--infile',
        s.path(f),
      ]);
      assert.equal(v.code, 0, f + ': ' + v.stdout + v.stderr);
      assert.match(v.stdout, /Verification output: Verified/, f);
    }
  } finally {
    await s.close();
  }
});
