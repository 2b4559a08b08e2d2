/**
 * The Gatehouse side of the HTTP benchmarks, set up the way an operator would: the real
 * `gatehouse` command (`init --dev`, `cert issue` for the admin client certificate, `serve`).
 *
 * - createPki(): development PKI in a scratch dir (P-384 root offline, P-256 issuing CA) plus an
 *   admin-client certificate; also exports the issuing CA key UNENCRYPTED into the scratch dir
 *   so the peers (cfssl, openssl) sign with exactly the same issuing key and certificate.
 * - serve(): `gatehouse serve --role ca` (plain-HTTP /ocsp + /crl, admin API over mTLS) on
 *   ephemeral ports, optionally inside a network namespace; addresses read from its JSON line;
 *   BENCH_CPU_PROF=<dir> makes it write a V8 CPU profile there when it stops.
 * - issueMany(): certificates through the admin API (fixtures for OCSP), from the bench process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient } from '../../test/helpers/admin-api.ts';
import { cliJson, GATEHOUSE } from '../../test/helpers/cli.ts';
import { opensslCsr } from '../../test/helpers/openssl.ts';
import { loadEncryptedPrivateKey } from '../../platform/crypto.ts';
import { log, sleep, start, type Started, type Wrap } from './proc.ts';

const CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

export interface GhPki {
  dir: string;
  /** `-d <dataDir>` for every gatehouse command. */
  g: string[];
  env: Record<string, string>;
  issuerId: string;
  rootPem: string;
  issuingPem: string;
  issuingCertFile: string;
  /** Unencrypted PKCS#8 PEM of the issuing key, for the peers. */
  issuingKeyFile: string;
  admin: { certPem: string; keyPem: string };
}

export interface Csr {
  pem: string;
  der: Buffer;
  keyPem: string;
  csrFile: string;
  keyFile: string;
}

/** A fresh P-256 key + PKCS#10 request made by openssl (the same bytes go to every side). */
export async function p256Csr(dir: string, name: string, subj = '/O=bench/CN=device-0001'): Promise<Csr> {
  const f = await opensslCsr(dir, name, subj);
  const pem = readFileSync(f.csr, 'utf8');
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return { pem, der: Buffer.from(b64, 'base64'), keyPem: readFileSync(f.key, 'utf8'), csrFile: f.csr, keyFile: f.key };
}

export async function createPki(dir: string, env: Record<string, string> = {}): Promise<GhPki> {
  const dataDir = join(dir, 'data');
  const g = ['-d', dataDir];
  const init = await cliJson<{ issuerId: string }>([...g, 'init', '--dev', '--offline-dir', join(dir, 'offline')], env);
  const adminCsr = await p256Csr(dir, 'admin', '/CN=bench-admin');
  const a = await cliJson<{ pem: string }>([...g, 'cert', 'issue', '--csr', adminCsr.csrFile, '--profile', 'admin-client', '--cn', 'bench', '--email', 'bench@example.test'], env);
  const [leaf, issuing] = a.pem.match(CERT_RE) ?? [];
  if (!leaf || !issuing) throw new Error('gatehouse cert issue returned no chain');
  const pass = readFileSync(join(dataDir, 'secrets', 'ca-passphrase'), 'utf8').trim();
  const key = loadEncryptedPrivateKey(join(dataDir, 'ca', `issuing-${init.issuerId}.key.pem`), pass);
  const issuingKeyFile = join(dir, 'issuing-key.pem');
  writeFileSync(issuingKeyFile, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const issuingCertFile = join(dir, 'issuing.pem');
  writeFileSync(issuingCertFile, issuing);
  return {
    dir,
    g,
    env,
    issuerId: init.issuerId,
    rootPem: readFileSync(join(dataDir, 'ca', 'root.crt.pem'), 'utf8'),
    issuingPem: issuing,
    issuingCertFile,
    issuingKeyFile,
    admin: { certPem: leaf, keyPem: adminCsr.keyPem },
  };
}

export interface GhServer extends Started {
  http: string;
  api: string;
}

/** `gatehouse serve --role ca` on ephemeral loopback ports; resolves once it printed its addresses. */
export async function serve(pki: GhPki, o: { logDir: string; wrap?: Wrap; env?: Record<string, string>; name?: string }): Promise<GhServer> {
  const env = { GATEHOUSE_HTTP__PORT: '0', GATEHOUSE_API__PORT: '0', GATEHOUSE_ADMIN__PORT: '0', GATEHOUSE_LOG__LEVEL: 'warn', ...pki.env, ...o.env };
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the server, written when it stops (lib/cpuprofile-top.ts reads it)
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_CPU_PROF, o.name ?? 'gatehouse-serve')}`] : [];
  const s = start(o.name ?? 'gatehouse-serve', process.execPath, [...prof, GATEHOUSE, '--json', ...pki.g, 'serve', '--role', 'ca'], { logDir: o.logDir, env, ...(o.wrap ? { wrap: o.wrap } : {}) });
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const m = /\{[\s\S]*"addresses"[\s\S]*\}\s*$/.exec(s.output());
    if (m) {
      const a = (JSON.parse(m[0]) as { addresses: Record<string, string> }).addresses;
      log(`gatehouse serve up: http ${a.http}, api ${a.api}`);
      return { ...s, http: a.http!, api: a.api! };
    }
    if (s.proc.exitCode !== null) break;
    await sleep(100);
  }
  await s.stop();
  throw new Error(`gatehouse serve did not start (see ${o.logDir})`);
}

export interface Issued {
  serial: string;
  certificate: string;
}

/** Issues one certificate per body through the admin API (mutual TLS), 16 at a time. */
export async function issueMany(server: GhServer, pki: GhPki, bodies: Record<string, unknown>[]): Promise<Issued[]> {
  const c = adminClient(server.api, { ca: pki.rootPem, cert: pki.admin.certPem, key: pki.admin.keyPem });
  try {
    const out: Issued[] = [];
    for (let i = 0; i < bodies.length; i += 16) {
      const batch = await Promise.all(bodies.slice(i, i + 16).map((b) => c.call<Issued>('POST', '/api/v1/certificates', b)));
      for (const r of batch) {
        if (r.status !== 201) throw new Error(`admin API issue: HTTP ${r.status} ${JSON.stringify(r.body)}`);
        out.push(r.body);
      }
    }
    return out;
  } finally {
    c.close();
  }
}
