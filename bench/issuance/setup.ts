/**
 * Fixture of the issuance benchmark: one Gatehouse development PKI, one P-256 CSR made by
 * openssl (the same bytes for every side), `gatehouse serve` (admin API, mTLS) and `cfssl serve`
 * with and without its sqlite certdb, both signing with the SAME P-256 issuing key and
 * certificate. Before any timing, one request per server is checked: HTTP success, and the
 * returned certificate verifies against that issuing CA (so no side is measured answering errors).
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient } from '../../test/helpers/admin-api.ts';
import { cfsslServe, signBody, type CfsslServe } from '../lib/cfssl.ts';
import { createPki, p256Csr, serve, type Csr, type GhPki, type GhServer } from '../lib/gatehouse.ts';
import type { LoadSpec } from '../lib/load.ts';
import { log } from '../lib/proc.ts';

export interface IssuanceFixture {
  pki: GhPki;
  csr: Csr;
  csrDerFile: string;
  gh: GhServer;
  cfsslDb: CfsslServe | null;
  cfsslNoDb: CfsslServe | null;
  logDir: string;
}

export const ghBody = (csrPem: string): string => JSON.stringify({ csr: csrPem, profile: 'device-tls', subject: { commonName: 'device-0001', organization: 'bench' } });

function checkIssuedBy(what: string, pem: string | undefined, issuingPem: string): void {
  if (!pem) throw new Error(`${what}: no certificate in the answer`);
  const leaf = new X509Certificate(pem);
  const ca = new X509Certificate(issuingPem);
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) throw new Error(`${what}: certificate not signed by the shared issuing CA`);
}

export async function setupIssuance(dir: string, cfssl: string | null): Promise<IssuanceFixture> {
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  log('issuance: creating the Gatehouse development PKI (gatehouse init --dev) and the admin certificate');
  const pki = await createPki(dir);
  const csr = await p256Csr(dir, 'device');
  const csrDerFile = join(dir, 'device.csr.der');
  writeFileSync(csrDerFile, csr.der);
  const gh = await serve(pki, { logDir });
  const c = adminClient(gh.api, { ca: pki.rootPem, cert: pki.admin.certPem, key: pki.admin.keyPem });
  try {
    const r = await c.call<{ certificate?: string }>('POST', '/api/v1/certificates', JSON.parse(ghBody(csr.pem)) as Record<string, unknown>);
    if (r.status !== 201) throw new Error(`gatehouse admin API: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    checkIssuedBy('gatehouse admin API', r.body.certificate, pki.issuingPem);
  } finally {
    c.close();
  }
  let cfsslDb: CfsslServe | null = null;
  let cfsslNoDb: CfsslServe | null = null;
  if (cfssl) {
    cfsslDb = await cfsslServe(cfssl, pki, { dir, logDir, db: true });
    cfsslNoDb = await cfsslServe(cfssl, pki, { dir, logDir, db: false });
    for (const [name, s] of [
      ['cfssl serve + certdb', cfsslDb],
      ['cfssl serve', cfsslNoDb],
    ] as const) {
      const res = await fetch(`${s.url}/api/v1/cfssl/sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: signBody(csr.pem) });
      const j = (await res.json()) as { success?: boolean; result?: { certificate?: string }; errors?: unknown };
      if (!res.ok || !j.success) throw new Error(`${name}: HTTP ${res.status} ${JSON.stringify(j.errors)}`);
      checkIssuedBy(name, j.result?.certificate, pki.issuingPem);
    }
    if (cfsslDb.stored() !== 1) throw new Error(`cfssl certdb holds ${cfsslDb.stored()} rows after one sign: the database is not in use`);
  }
  log('issuance: every server answered one checked request; timing starts');
  return { pki, csr, csrDerFile, gh, cfsslDb, cfsslNoDb, logDir };
}

/** Load spec for Gatehouse's admin API: POST /api/v1/certificates over mTLS keep-alive. */
export function ghLoad(f: IssuanceFixture, connections: number, seconds: number): LoadSpec {
  return {
    url: f.gh.api,
    connections,
    seconds,
    warmupSeconds: 1,
    requests: [{ method: 'POST', path: '/api/v1/certificates', headers: { 'content-type': 'application/json' }, body64: Buffer.from(ghBody(f.csr.pem)).toString('base64') }],
    tls: { certPem: f.pki.admin.certPem, keyPem: f.pki.admin.keyPem, caPem: f.pki.rootPem, servername: 'localhost' },
    timeout: 30,
  };
}

/** Load spec for cfssl's sign API (plain HTTP, as cfssl serves it). */
export function cfsslLoad(s: CfsslServe, f: IssuanceFixture, connections: number, seconds: number): LoadSpec {
  return {
    url: s.url,
    connections,
    seconds,
    warmupSeconds: 1,
    requests: [{ method: 'POST', path: '/api/v1/cfssl/sign', headers: { 'content-type': 'application/json' }, body64: Buffer.from(signBody(f.csr.pem)).toString('base64') }],
    timeout: 30,
  };
}
