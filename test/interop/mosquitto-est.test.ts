/**
 * End to end with a REAL Mosquitto (REAL-CLIENTS.md): a device enrolls over EST (token bound to
 * the TLS channel, RFC 7030 §3.5), connects to Mosquitto over mutual TLS with that certificate
 * and publishes (mosquitto_sub receives it; the username is the certificate CN = device id, the
 * ACL confines it to devices/<id>/#); then `onboarding.retire()` revokes its certificates, the
 * CRL (ca/crl CrlService) is republished into Mosquitto's crlfile, Mosquitto gets SIGHUP, and the
 * device is refused. The broker runs from examples/mosquitto/gatehouse.conf (paths and port
 * rewritten) as our own process on a random loopback port; the system broker is not touched.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CrlService } from '../../ca/crl/index.ts';
import { toPem } from '../../ca/asn1/index.ts';
import { silentLogger } from '../../platform/log.ts';
import { parseDegenerate } from '../../enrollment/scep/index.ts';
import { createEnrollEnv, startEst, type EnrollEnv, type RunningEst } from '../unit/enrollment/est/harness.ts';
import { basicAuth, clientBinding, estConnect, estRequest } from '../integration/est-client.ts';
import { makeCsr } from '../helpers/pki.ts';
import { requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const EXAMPLE = new URL('../../examples/mosquitto/', import.meta.url).pathname;
let env: EnrollEnv;
let est: RunningEst;
let crl: CrlService;
let broker: ChildProcess | undefined;
let brokerLog = '';

before(async () => {
  env = await createEnrollEnv();
  est = await startEst(env);
  crl = new CrlService({
    db: env.t.db,
    ca: env.pki.ca,
    bus: env.bus,
    config: { validitySeconds: 86_400, rebuildIntervalSeconds: 3_600, debounceMs: 0, deltaValiditySeconds: 3_600 },
    publicUrl: env.pki.publicUrl,
    log: silentLogger(),
    audit: env.audit,
  });
});
after(async () => {
  if (broker && broker.exitCode === null) {
    broker.kill('SIGTERM');
    await new Promise((r) => broker!.once('exit', r));
  }
  await est?.est.close();
  await env?.cleanup();
});

const file = (name: string) => join(env.dir, name);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function publishCrl(): Promise<void> {
  const c = await crl.publish(env.pki.issuer.record.id);
  writeFileSync(file('crl.pem'), toPem('X509 CRL', c.der));
}

/** Enrolls `id` over EST (TLS 1.3, token bound with tls-exporter) and writes <id>.pem/.key. */
async function enrollOverEst(id: string): Promise<void> {
  await env.addDevice(id);
  const tok = await env.token(id);
  const sock = await estConnect({ port: est.port, ca: env.chainPem() });
  try {
    const { csrDer, key } = makeCsr('P-256', { challengePassword: clientBinding(sock).toString('base64') });
    const r = await estRequest(sock, '/.well-known/est/simpleenroll', {
      body: csrDer.toString('base64'),
      headers: { authorization: basicAuth(tok, id) },
    });
    assert.equal(r.status, 200, r.body);
    writeFileSync(file(`${id}.pem`), toPem('CERTIFICATE', parseDegenerate(Buffer.from(r.body, 'base64'))[0]!));
    writeFileSync(file(`${id}.key`), key.export({ type: 'pkcs8', format: 'pem' }));
  } finally {
    sock.destroy();
  }
}

async function startBroker(port: number): Promise<void> {
  let conf = readFileSync(join(EXAMPLE, 'gatehouse.conf'), 'utf8')
    .replaceAll('/etc/mosquitto/gatehouse/', `${env.dir}/`)
    .replace(/^listener 8883 0\.0\.0\.0$/m, `listener ${port} 127.0.0.1`);
  if (process.getuid?.() === 0) conf += '\nuser root\n'; // mosquitto drops root to "mosquitto", who cannot read our temp dir
  conf += '\nlog_type subscribe\n'; // the test waits for the subscription in the log
  writeFileSync(file('mosquitto.conf'), conf);
  copyFileSync(join(EXAMPLE, 'gatehouse.acl'), file('gatehouse.acl'));
  broker = spawn('mosquitto', ['-c', file('mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  broker.stderr!.on('data', (d: Buffer) => (brokerLog += d.toString()));
  broker.stdout!.on('data', (d: Buffer) => (brokerLog += d.toString()));
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = tcpConnect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (up) return;
    if (broker.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not start:\n${brokerLog}`);
}

function mqtt(
  tool: 'mosquitto_pub' | 'mosquitto_sub',
  port: number,
  id: string,
  extra: string[],
): Promise<{ code: number; out: string }> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '--cafile',
    file('chain.pem'),
    '--cert',
    file(`${id}.pem`),
    '--key',
    file(`${id}.key`),
    '-i',
    `${id}-${tool}`,
    ...extra,
  ];
  return new Promise((resolve) => {
    execFile(tool, args, { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
    );
  });
}

test('enrolled over EST -> publishes to Mosquitto over mTLS; retired -> refused after CRL refresh + SIGHUP', async (t) => {
  if (!requireTool(t, 'mosquitto', 'mosquitto') || !requireTool(t, 'mosquitto_pub', 'mosquitto-clients')) return;
  const { cert, key } = await brokerCertificate();
  writeFileSync(file('server.pem'), cert);
  writeFileSync(file('server.key'), key);
  writeFileSync(file('chain.pem'), env.chainPem());
  await publishCrl();
  await enrollOverEst('meter-1');
  await enrollOverEst('meter-2');
  const port = await freePort();
  await startBroker(port);

  // the device subscribes to and publishes in its own subtree (ACL pattern devices/%u/#)
  const sub = mqtt('mosquitto_sub', port, 'meter-1', ['-t', 'devices/meter-1/#', '-C', '1', '-W', '20', '-v']);
  for (let i = 0; i < 400 && !/meter-1-mosquitto_sub \d devices\/meter-1\/#/.test(brokerLog); i++)
    await new Promise((r) => setTimeout(r, 25));
  const pub = await mqtt('mosquitto_pub', port, 'meter-1', [
    '-t',
    'devices/meter-1/telemetry',
    '-m',
    'kWh=42',
    '-q',
    '1',
    '-d',
  ]);
  assert.equal(pub.code, 0, `${pub.out}\n${brokerLog}`);
  assert.match(pub.out, /PUBACK/);
  const got = await sub;
  assert.equal(got.code, 0, got.out);
  assert.match(got.out, /devices\/meter-1\/telemetry kWh=42/);
  assert.match(brokerLog, /as meter-1-mosquitto_pub \(.*u'meter-1'\)/, 'username = certificate CN = device id');

  // retire: certificates revoked, CRL republished, broker told to reload
  const { revoked } = await env.onboarding.retire('meter-1', 'admin:alice');
  assert.equal(revoked.length, 1);
  await publishCrl();
  const v = await run('openssl', [
    'verify',
    '-crl_check',
    '-CRLfile',
    file('crl.pem'),
    '-CAfile',
    file('chain.pem'),
    file('meter-1.pem'),
  ]).catch((e: { stdout: string; stderr: string }) => e);
  assert.match(`${v.stdout}${v.stderr}`, /certificate revoked/, 'openssl agrees the CRL revokes meter-1');
  // until the broker reloads, it still uses the CRL it loaded at start
  const stale = await mqtt('mosquitto_pub', port, 'meter-1', [
    '-t',
    'devices/meter-1/telemetry',
    '-m',
    'still',
    '-q',
    '1',
  ]);
  assert.equal(stale.code, 0, stale.out);
  const before = brokerLog.length;
  broker!.kill('SIGHUP');
  for (let i = 0; i < 100 && !/reload/i.test(brokerLog.slice(before)); i++) await new Promise((r) => setTimeout(r, 50));
  const denied = await mqtt('mosquitto_pub', port, 'meter-1', [
    '-t',
    'devices/meter-1/telemetry',
    '-m',
    'again',
    '-q',
    '1',
  ]);
  assert.notEqual(denied.code, 0, `revoked device still accepted:\n${denied.out}\n${brokerLog}`);
  // the broker's log line may trail the refused connection: wait for it (bounded)
  for (let i = 0; i < 100 && !/certificate verify failed/.test(brokerLog.slice(before)); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(brokerLog.slice(before), /Reloading config[\s\S]*certificate verify failed/);
  // meter-2 is unaffected
  const other = await mqtt('mosquitto_pub', port, 'meter-2', [
    '-t',
    'devices/meter-2/telemetry',
    '-m',
    'ok',
    '-q',
    '1',
  ]);
  assert.equal(other.code, 0, other.out);
});

/** The broker's server certificate, from our CA (serverAuth; IP SAN for 127.0.0.1). */
async function brokerCertificate(): Promise<{ cert: string; key: string }> {
  const { csrDer, key } = makeCsr('P-256');
  const c = await env.pki.ca.issue(csrDer, {
    profile: 'radius-server',
    subject: { commonName: 'mqtt.local' },
    sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
    actor: 'test:mqtt',
  });
  return {
    cert: [c.der, ...c.chain].map((d) => toPem('CERTIFICATE', d)).join(''),
    key: key.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
