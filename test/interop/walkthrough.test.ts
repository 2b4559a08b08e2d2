/**
 * The README walkthrough, end to end, against one real `gatehouse serve` (all roles):
 * inventory (segment, device, approve, token) -> EST enrollment with curl -> openssl verify ->
 * 802.1X EAP-TLS with eapol_test (VLAN of the segment) -> MAB with radclient -> retire the device
 * -> OCSP says revoked, eapol_test fails, the CRL lists it -> evidence shows the containment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { requireTool } from '../helpers/tools.ts';
import { cliJson, runCli, startServe, type Serving } from '../helpers/cli.ts';
import { run, waitFor } from '../helpers/openssl.ts';
import { PG_URL, testDbKind } from '../helpers/db.ts';
import { eapolConf, parseEapol, run as runAsync } from './radius-tools.ts';

const SECRET = 'walkthrough-radius-secret-0123456789';

test('README walkthrough: enroll over EST, 802.1X and MAB through RADIUS, retire and watch it fail', { timeout: 240_000 }, async (t) => {
  const tools = [requireTool(t, 'openssl', 'openssl'), requireTool(t, 'curl', 'curl'), requireTool(t, 'eapol_test', 'eapoltest'), requireTool(t, 'radclient', 'freeradius-utils')];
  if (tools.some((x) => !x)) return;
  const [openssl, curl, eapol, radclient] = tools as [string, string, string, string];
  const dir = mkdtempSync(join(tmpdir(), 'gh-walk-'));
  const env: Record<string, string> = testDbKind() === 'pg' ? { GATEHOUSE_DB__URL: PG_URL, GATEHOUSE_DB__SCHEMA: `walk_${randomBytes(5).toString('hex')}` } : {};
  const g = ['-d', join(dir, 'data')];
  let node: Serving | undefined;
  try {
    await cliJson([...g, 'init', '--dev', '--offline-dir', join(dir, 'offline')], env);
    appendFileSync(
      join(dir, 'data', 'gatehouse.yaml'),
      [
        'enrollment:',
        '  est: { allowUnboundBasic: true }',
        'radius:',
        '  enabled: true',
        '  hosts: [127.0.0.1]',
        '  authPort: 0',
        '  acctPort: 0',
        '  clients:',
        `    - { name: switch-1, address: 127.0.0.1, secret: { value: ${SECRET} } }`,
        '',
      ].join('\n'),
    );
    node = await startServe(g, env);
    const auth = Object.values(node.addresses).find((a) => a.includes('(auth)'))!;
    const radius = /udp:\/\/([\d.]+):(\d+)/.exec(auth)!;
    const root = join(dir, 'data', 'ca', 'root.crt.pem');

    // 2. inventory
    for (const args of [
      ['segment', 'put', 'cameras', '--vlan', '110'],
      ['segment', 'put', 'hvac', '--vlan', '120'],
      ['device', 'add', 'cam-lobby', '--name', 'Lobby camera', '--function', 'camera', '--owner', 'facilities', '--segment', 'cameras', '--mac', '00:11:22:33:44:55'],
      ['device', 'add', 'hvac-3', '--name', 'Rooftop unit', '--function', 'hvac', '--owner', 'facilities', '--segment', 'hvac', '--mac', '02-00-00-00-00-03', '--mab-only'],
      ['device', 'approve', 'cam-lobby'],
      ['device', 'approve', 'hvac-3'],
    ])
      assert.equal((await runCli([...g, ...args], env)).code, 0, args.join(' '));
    const { token } = await cliJson<{ token: string }>([...g, 'device', 'token', 'cam-lobby'], env);

    // 3. EST with curl
    assert.equal((await run(openssl, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'cam.key'), '-subj', '/CN=cam-lobby', '-outform', 'DER', '-out', join(dir, 'cam.csr')])).code, 0);
    writeFileSync(join(dir, 'cam.csr.b64'), readFileSync(join(dir, 'cam.csr')).toString('base64'));
    const est = await run(curl, ['-sf', '--cacert', root, '-u', `cam-lobby:${token}`, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${join(dir, 'cam.csr.b64')}`, `${node.addresses.est}/.well-known/est/simpleenroll`.replace('127.0.0.1', 'localhost')]);
    assert.equal(est.code, 0, est.out);
    writeFileSync(join(dir, 'cam.p7'), Buffer.from(est.out, 'base64'));
    assert.equal((await run(openssl, ['pkcs7', '-inform', 'DER', '-in', join(dir, 'cam.p7'), '-print_certs', '-out', join(dir, 'cam.pem')])).code, 0);
    const x = await run(openssl, ['x509', '-in', join(dir, 'cam.pem'), '-noout', '-subject', '-ext', 'subjectAltName']);
    assert.match(x.out, /OU ?= ?cameras/);
    assert.match(x.out, /URI:urn:gatehouse:device:cam-lobby/);
    const cacerts = await run(curl, ['-sf', '--cacert', root, `${node.addresses.est}/.well-known/est/cacerts`.replace('127.0.0.1', 'localhost')]);
    writeFileSync(join(dir, 'ca.p7'), Buffer.from(cacerts.out, 'base64'));
    await run(openssl, ['pkcs7', '-inform', 'DER', '-in', join(dir, 'ca.p7'), '-print_certs', '-out', join(dir, 'chain.pem')]);
    assert.equal((await run(openssl, ['verify', '-x509_strict', '-CAfile', join(dir, 'chain.pem'), join(dir, 'cam.pem')])).code, 0);

    // 4. RADIUS: EAP-TLS and MAB
    const conf = eapolConf(dir, 'cam', { ca: root, cert: join(dir, 'cam.pem'), key: join(dir, 'cam.key') }, { tls13: true });
    const eap = () => runAsync(eapol, ['-c', conf, '-a', radius[1]!, '-p', radius[2]!, '-s', SECRET, '-r', '0', '-t', '10', '-M', '00:11:22:33:44:55']);
    const ok = parseEapol(await eap());
    assert.ok(ok.success, ok.out.slice(-2000));
    assert.ok(ok.mppeOk);
    assert.equal(ok.vlan, '110');
    const mab = await runAsync(radclient, ['-x', '-r', '1', '-t', '2', `${radius[1]}:${radius[2]}`, 'auth', SECRET], 'User-Name = "020000000003"\nUser-Password = "020000000003"\nCalling-Station-Id = "02-00-00-00-00-03"\nService-Type = Call-Check\nMessage-Authenticator = 0x00\n');
    assert.match(mab.out, /Access-Accept/);
    assert.match(mab.out, /Tunnel-Private-Group-Id(:0)? = "120"/);

    // 6. retire and watch it fail
    const r = await cliJson<{ revoked: string[] }>([...g, 'device', 'retire', 'cam-lobby'], env);
    assert.equal(r.revoked.length, 1);
    const issuing = join(dir, 'issuing.pem');
    writeFileSync(issuing, readFileSync(join(dir, 'chain.pem'), 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/)![0]);
    const revoked = await waitFor(async () => /cam.pem: revoked/.test((await run(openssl, ['ocsp', '-issuer', issuing, '-cert', join(dir, 'cam.pem'), '-url', `${node!.addresses.http}/ocsp`, '-CAfile', join(dir, 'chain.pem')])).out), 2_000, 100);
    assert.ok(revoked, 'OCSP says revoked within 2 s');
    const denied = parseEapol(await eap());
    assert.equal(denied.success, false, 'a retired device is refused by RADIUS');
    const ev = await cliJson<{ containment: { cases: Array<{ deviceId: string }> }; audit: { ok: boolean } }>([...g, 'evidence'], env);
    assert.ok(ev.containment.cases.some((c) => c.deviceId === 'cam-lobby'));
    assert.equal(ev.audit.ok, true);
  } finally {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
