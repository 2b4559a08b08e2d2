/**
 * Fixture of the RADIUS benchmark, Gatehouse side, set up the way an operator would.
 *
 * How: `gatehouse init --dev` (lib/gatehouse.ts createPki), then `gatehouse serve --role ca` for
 * its admin API (mutual TLS): segment `bench` with VLAN 120; an import of NMAC MAB-only devices
 * (MACs 02:00:00:xx:xx:xx) and NEAP 802.1X devices, every one approved; one P-256 device-tls
 * certificate per 802.1X device (URI SAN urn:gatehouse:device:<id>, as enrollment issues it) from
 * openssl-made keys; and a radius-server certificate for FreeRADIUS from the SAME issuing CA, so
 * both servers present a P-256 chain to the same root and verify the same client certificates.
 * The CA node is then stopped; radius config is appended to gatehouse.yaml (one NAS 127.0.0.1/32,
 * Message-Authenticator required as by default) and `gatehouse serve --role radius` is started.
 * BENCH_CPU_PROF=<dir> makes that process write a V8 CPU profile when it stops.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, type AdminClient } from '../../test/helpers/admin-api.ts';
import { GATEHOUSE } from '../../test/helpers/cli.ts';
import { opensslCsr } from '../../test/helpers/openssl.ts';
import { createPki, serve, type GhPki } from '../lib/gatehouse.ts';
import { log, sleep, start, type Started } from '../lib/proc.ts';
import { waitUdp } from './freeradius.ts';

export const SECRET = 'bench-radius-secret-0123456789';
export const VLAN = 120;

/** MAC i (1-based) in the form both servers receive: 02-00-00-xx-xx-xx, lower case. */
export const macOf = (i: number): string =>
  ['02', '00', '00', (i >> 16) & 255, (i >> 8) & 255, i & 255].map((x) => (typeof x === 'string' ? x : x.toString(16).padStart(2, '0'))).join('-');

export interface EapClient {
  id: string;
  certFile: string;
  keyFile: string;
}

export interface RadiusFixture {
  pki: GhPki;
  macs: string[];
  clients: EapClient[];
  /** Root + issuing CA: what supplicants trust and what FreeRADIUS verifies clients against. */
  caFile: string;
  /** radius-server certificate (+ chain) and key for FreeRADIUS. */
  serverCertFile: string;
  serverKeyFile: string;
}

async function call(c: AdminClient, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await c.call(method, path, body);
  if (r.status >= 300) throw new Error(`admin API ${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body;
}

async function inBatches<T>(items: T[], n: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += n) await Promise.all(items.slice(i, i + n).map(fn));
}

async function issue(c: AdminClient, dir: string, name: string, body: Record<string, unknown>): Promise<{ certFile: string; keyFile: string }> {
  const f = await opensslCsr(dir, name, `/CN=${name}`);
  const r = await call(c, 'POST', '/api/v1/certificates', { csr: readFileSync(f.csr, 'utf8'), ...body });
  const certFile = join(dir, `${name}.pem`);
  writeFileSync(certFile, `${String(r.certificate)}${String(r.chain)}`);
  return { certFile, keyFile: f.key };
}

export async function setupFixture(dir: string, logDir: string, nMac: number, nEap: number): Promise<RadiusFixture> {
  log('radius: gatehouse init --dev, then inventory and certificates through the admin API');
  const pki = await createPki(dir);
  const ca = await serve(pki, { logDir, name: 'gatehouse-setup' });
  const c = adminClient(ca.api, { ca: pki.rootPem, cert: pki.admin.certPem, key: pki.admin.keyPem });
  try {
    await call(c, 'PUT', '/api/v1/segments/bench', { vlanId: VLAN, description: 'benchmark segment' });
    const macs = Array.from({ length: nMac }, (_, i) => macOf(i + 1));
    const devices = [
      ...macs.map((m, i) => ({ id: `mab-${i + 1}`, name: `meter ${i + 1}`, function: 'meter', owner: 'bench', segment: 'bench', macs: [m.replace(/-/g, ':')], mabOnly: true })),
      ...Array.from({ length: nEap }, (_, i) => ({ id: `eap-${i + 1}`, name: `camera ${i + 1}`, function: 'camera', owner: 'bench', segment: 'bench' })),
    ];
    const imp = await call(c, 'POST', '/api/v1/devices/import', devices);
    if (imp.imported !== devices.length) throw new Error(`device import: ${JSON.stringify(imp).slice(0, 300)}`);
    await inBatches(devices, 16, (d) => call(c, 'POST', `/api/v1/devices/${d.id}/approve`));
    const clients: EapClient[] = [];
    for (let i = 1; i <= nEap; i++) {
      const id = `eap-${i}`;
      const f = await issue(c, dir, id, { profile: 'device-tls', deviceId: id, subject: { commonName: id, organization: 'bench' }, sans: { uri: [`urn:gatehouse:device:${id}`] } });
      clients.push({ id, ...f });
    }
    const srv = await issue(c, dir, 'freeradius-server', { profile: 'radius-server', subject: { commonName: 'radius.bench.test', organization: 'bench' }, sans: { dns: ['radius.bench.test'] } });
    const caFile = join(dir, 'ca-bundle.pem');
    writeFileSync(caFile, pki.issuingPem + pki.rootPem);
    log(`radius: ${nMac} MAB devices and ${nEap} 802.1X devices (P-256 certificates) approved in segment bench (VLAN ${VLAN})`);
    return { pki, macs, clients, caFile, serverCertFile: srv.certFile, serverKeyFile: srv.keyFile };
  } finally {
    c.close();
    await ca.stop();
  }
}

export interface GhRadius extends Started {
  port: number;
}

/** `gatehouse serve --role radius` with one NAS (127.0.0.1/32) on an ephemeral UDP port. */
export async function serveRadius(f: RadiusFixture, logDir: string): Promise<GhRadius> {
  const yaml = join(f.pki.dir, 'data', 'gatehouse.yaml');
  if (!readFileSync(yaml, 'utf8').includes('\nradius:')) {
    appendFileSync(yaml, [
      '', 'radius:', '  enabled: true', '  hosts: [127.0.0.1]', '  authPort: 0', '  acctPort: 0',
      '  serverNames: [radius.bench.test]', '  clients:',
      `    - { name: bench-nas, address: 127.0.0.1/32, secret: { env: BENCH_RADIUS_SECRET } }`, '',
    ].join('\n'));
  }
  const env = { GATEHOUSE_HTTP__PORT: '0', GATEHOUSE_ADMIN__PORT: '0', GATEHOUSE_LOG__LEVEL: 'warn', BENCH_RADIUS_SECRET: SECRET, ...f.pki.env };
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_CPU_PROF, 'gatehouse-radius')}`] : [];
  const s = start('gatehouse-radius', process.execPath, [...prof, GATEHOUSE, '--json', ...f.pki.g, 'serve', '--role', 'radius'], { logDir, env });
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const m = /\{[\s\S]*"addresses"[\s\S]*\}\s*$/.exec(s.output());
    if (m) {
      const a = (JSON.parse(m[0]) as { addresses: Record<string, string> }).addresses;
      const auth = Object.values(a).find((v) => v.includes('(auth)'));
      const port = Number(/:(\d+) \(auth\)/.exec(auth ?? '')?.[1]);
      if (!port) throw new Error(`gatehouse serve --role radius: no auth address in ${JSON.stringify(a)}`);
      await waitUdp(port);
      log(`gatehouse serve --role radius up: udp 127.0.0.1:${port} (pid ${s.proc.pid})`);
      return { ...s, port };
    }
    if (s.proc.exitCode !== null) break;
    await sleep(100);
  }
  await s.stop();
  throw new Error(`gatehouse serve --role radius did not start (see ${logDir}/gatehouse-radius.log)`);
}
