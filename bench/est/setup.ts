/**
 * Fixture of the EST benchmark, shared by every side so all use the SAME keys and certificates:
 * - a Gatehouse development PKI (P-384 root, P-256 issuing CA) and ONE P-256 device key with an
 *   openssl CSR (cfssl signs exactly that CSR; EST CSRs carry the same key, see wire.ts);
 * - `gatehouse serve --role ca,enroll` (EST on its own TLS listener, default configuration:
 *   durable SQLite store, channel-bound Basic tokens) and `cfssl serve` with its sqlite certdb,
 *   both signing with the same P-256 issuing key and certificate;
 * - two bare Node TLS servers (tls-server.ts) with Gatehouse's own EST server certificate and
 *   key, without and with a required client certificate: the handshake ceiling;
 * - one-time tokens: tokens(n) seeds n more approved devices (the product's services, between
 *   runs, never during one) and returns the file the load generator reads.
 * Checks before any timing: an EST enrollment returns a certificate issued by the shared CA for
 * the right device, the replayed token is refused (401), simplereenroll with that certificate
 * works; cfssl returns a certificate from the same CA and stores it in its certdb.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDegenerate } from '../../enrollment/scep/index.ts';
import { loadEncryptedPrivateKey, SoftwareSigner } from '../../platform/crypto.ts';
import { cfsslServe, signBody, type CfsslServe } from '../lib/cfssl.ts';
import { createPki, p256Csr, type Csr, type GhPki } from '../lib/gatehouse.ts';
import { seedEnrollment, serveEnroll, type EnrollServer } from '../lib/gatehouse-enroll.ts';
import { readAnswer } from '../lib/http-answer.ts';
import { openSocket, type OnceTls } from '../lib/once-load.ts';
import { freePort, log, start, TSX_NODE, waitListening, type Started } from '../lib/proc.ts';
import { csrFor, estRequest } from './wire.ts';

export interface EstFixture {
  pki: GhPki;
  dir: string;
  logDir: string;
  device: Csr;
  gh: EnrollServer;
  est: { host: string; port: number };
  /** Client TLS options: our chain as trust anchor, SNI localhost. */
  tls: OnceTls;
  /** The certificate EST issued in the check (device <prefix>-check-1), for simplereenroll / mTLS. */
  deviceCertPem: string;
  cfssl: CfsslServe | null;
  handshake: { plain: Started & { port: number }; mtls: Started & { port: number } };
  /** Seeds n more devices with one token each; the slice the load generator reads. */
  tokens(n: number): Promise<{ tokensFile: string; from: number; count: number }>;
}

async function estCall(f: Pick<EstFixture, 'est' | 'tls'>, signer: SoftwareSigner, o: { basic?: { user: string; pass: string }; client?: { certPem: string; keyPem: string } }): Promise<{ status: number; body: string }> {
  const tls = o.client ? { ...f.tls, ...o.client } : f.tls;
  const s = await openSocket(f.est.host, f.est.port, tls, 30_000);
  try {
    const reenroll = !o.basic;
    const answer = readAnswer(s, 30_000);
    s.write(estRequest({ port: f.est.port, op: reenroll ? 'simplereenroll' : 'simpleenroll', csr64: csrFor(signer, s, reenroll), ...(o.basic ? { basic: o.basic } : {}), close: true }));
    const a = await answer;
    return { status: a.status, body: a.body.toString('latin1') };
  } finally {
    s.destroy();
  }
}

function issuedCert(what: string, r: { status: number; body: string }, issuingPem: string, deviceId: string): X509Certificate {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  const [leaf] = parseDegenerate(Buffer.from(r.body, 'base64'));
  const x = new X509Certificate(leaf!);
  if (!x.checkIssued(new X509Certificate(issuingPem)) || !x.verify(new X509Certificate(issuingPem).publicKey)) throw new Error(`${what}: not issued by the shared issuing CA`);
  if (!(x.subjectAltName ?? '').includes(`urn:gatehouse:device:${deviceId}`)) throw new Error(`${what}: certificate is not for ${deviceId}: ${x.subjectAltName}`);
  return x;
}

async function handshakeServer(name: string, f: { pki: GhPki; logDir: string }, files: string[], mtls: boolean): Promise<Started & { port: number }> {
  const port = freePort();
  const [node, ...args] = TSX_NODE;
  const s = start(name, node!, [...args, join(import.meta.dirname, 'tls-server.ts'), String(port), ...files, ...(mtls ? ['--mtls'] : [])], { logDir: f.logDir });
  await waitListening(port);
  return { ...s, port };
}

export async function setupEst(dir: string, cfsslBin: string | null): Promise<EstFixture> {
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  log('est: creating the Gatehouse development PKI (gatehouse init --dev)');
  const pki = await createPki(dir);
  const device = await p256Csr(dir, 'device');
  const [check] = await seedEnrollment(pki, 'check', 1);
  const gh = await serveEnroll(pki, { logDir });
  const u = new URL(gh.addresses.est!);
  const est = { host: u.hostname, port: Number(u.port) };
  const tls: OnceTls = { caPem: pki.rootPem + pki.issuingPem, servername: 'localhost' };
  const signer = new SoftwareSigner(createPrivateKey(device.keyPem));
  const first = await estCall({ est, tls }, signer, { basic: { user: check!.deviceId, pass: check!.token } });
  const cert = issuedCert('EST simpleenroll (token, channel-bound)', first, pki.issuingPem, check!.deviceId);
  const replay = await estCall({ est, tls }, signer, { basic: { user: check!.deviceId, pass: check!.token } });
  if (replay.status !== 401) throw new Error(`EST: a replayed token got HTTP ${replay.status}, expected 401`);
  const deviceCertPem = cert.toString();
  const re = await estCall({ est, tls }, signer, { client: { certPem: deviceCertPem, keyPem: device.keyPem } });
  issuedCert('EST simplereenroll (client certificate)', re, pki.issuingPem, check!.deviceId);
  log('est: checked simpleenroll (certificate for the device, from the shared CA), token replay -> 401, simplereenroll');

  let cfssl: CfsslServe | null = null;
  if (cfsslBin) {
    cfssl = await cfsslServe(cfsslBin, pki, { dir, logDir, db: true });
    const res = await fetch(`${cfssl.url}/api/v1/cfssl/sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: signBody(device.pem) });
    const j = (await res.json()) as { success?: boolean; result?: { certificate?: string } };
    const x = j.result?.certificate ? new X509Certificate(j.result.certificate) : null;
    if (!res.ok || !j.success || !x?.checkIssued(new X509Certificate(pki.issuingPem))) throw new Error(`cfssl serve + certdb: sign check failed (HTTP ${res.status})`);
    if (cfssl.stored() !== 1) throw new Error(`cfssl certdb holds ${cfssl.stored()} rows after one sign: the database is not in use`);
  }

  // the bare TLS servers get Gatehouse's EST certificate (leaf + chain) and key, unencrypted in scratch
  const tlsDir = join(pki.g[1]!, 'ca', 'tls');
  const pass = readFileSync(join(pki.g[1]!, 'secrets', 'ca-passphrase'), 'utf8').trim();
  const keyFile = join(dir, 'est-server.key.pem');
  writeFileSync(keyFile, loadEncryptedPrivateKey(join(tlsDir, 'est.key.pem'), pass).export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const caFile = join(dir, 'chain.pem');
  writeFileSync(caFile, tls.caPem);
  const files = [keyFile, join(tlsDir, 'est.crt.pem'), caFile];
  const handshake = { plain: await handshakeServer('tls-handshake', { pki, logDir }, files, false), mtls: await handshakeServer('tls-handshake-mtls', { pki, logDir }, files, true) };

  let batch = 0;
  const tokens = async (n: number) => {
    const list = await seedEnrollment(pki, `est${++batch}`, n);
    return { tokensFile: join(pki.dir, `tokens-est${batch}.txt`), from: 0, count: list.length };
  };
  return { pki, dir, logDir, device, gh, est, tls, deviceCertPem, cfssl, handshake, tokens };
}
