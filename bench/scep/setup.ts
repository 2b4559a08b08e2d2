/**
 * Fixture of the SCEP benchmark. Everything that listens runs in ONE private network namespace
 * (loopback only) with the load generator: scepserver binds every address (peers README), and
 * Gatehouse runs beside it so both see the same loopback.
 * - Gatehouse: a development PKI (P-256 issuing CA; the RA/decrypter is RSA-2048 from the
 *   scep-ra profile), `gatehouse serve --role ca,enroll`, default enrollment configuration
 *   (single DES stays refused: the messages are AES-128-CBC + SHA-256, as GetCACaps offers).
 * - micromdm scepserver 2.1 (Debian `scep`): `scepserver ca -init` RSA-2048 CA in its file
 *   depot, a shared challenge enforced (it has no per-device credential).
 * - The requester key pool: 16 RSA-2048 keys, the same for both sides (messages.ts).
 * Quirk: scepserver 2.1 envelopes its CertRep with single DES whatever the request used (the
 * check opens it anyway; Gatehouse answers AES-128-CBC as asked).
 * Checks before timing, per server: one PKCSReq answered SUCCESS whose envelope, opened with
 * the requester key, holds a certificate issued by that server's CA for the CN/device asked;
 * Gatehouse refuses the replayed token (FAILURE) and scepserver a wrong challenge.
 */
import { generateKeyPair, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseDegenerate, RA_SUBJECT_CN } from '../../enrollment/scep/index.ts';
import { certInfo } from '../../enrollment/scep/cert-info.ts';
import { openEnvelope } from '../../enrollment/scep/envelope.ts';
import { readSignedData } from '../../enrollment/scep/signed-data.ts';
import { createPki, type GhPki } from '../lib/gatehouse.ts';
import { seedEnrollment, serveEnroll, type EnrollServer } from '../lib/gatehouse-enroll.ts';
import { freePort, log, run, start, waitListening, type Started, type Wrap } from '../lib/proc.ts';
import { isSuccess, pkcsReq, requester, type Requester } from './messages.ts';

export const CHALLENGE = 'bench-shared-challenge';
const KEYS = 16;

export interface ScepSide {
  name: string;
  url: string;
  /** Certificate the requests are encrypted to (Gatehouse: RA; scepserver: its CA). */
  recipientPem: string;
  caPem: string;
  server: Started;
}

export interface ScepFixture {
  pki: GhPki;
  dir: string;
  logDir: string;
  wrap: Wrap;
  keysFile: string;
  gh: ScepSide & { node: EnrollServer };
  peer: ScepSide | null;
}

async function post(wrap: Wrap, dir: string, url: string, body: Buffer | null): Promise<Buffer> {
  const out = join(dir, 'check-answer.der');
  const args = ['-sS', '--fail', '--max-time', '30', '-o', out];
  if (body) {
    writeFileSync(join(dir, 'check-request.der'), body);
    args.push('-H', 'Content-Type: application/x-pki-message', '--data-binary', `@${join(dir, 'check-request.der')}`, `${url}?operation=PKIOperation`);
  } else args.push(`${url}?operation=GetCACert`);
  await run('curl', args, { wrap });
  return readFileSync(out);
}

/** The issued certificate inside a SUCCESS CertRep, checked against `caPem` and `cn`. */
function openCertRep(what: string, der: Buffer, by: Requester, caPem: string, cn: string, desReply = false): void {
  if (!isSuccess(der)) throw new Error(`${what}: CertRep is not SUCCESS`);
  const env = readSignedData(der).eContent;
  if (!env) throw new Error(`${what}: SUCCESS without content`);
  const inner = openEnvelope(env, { cert: by.info, key: by.key }, desReply).plaintext;
  const leaf = new X509Certificate(parseDegenerate(inner)[0]!);
  if (!leaf.checkIssued(new X509Certificate(caPem)) || !leaf.verify(new X509Certificate(caPem).publicKey)) throw new Error(`${what}: certificate not from the expected CA`);
  if (!leaf.subject.includes(`CN=${cn}`)) throw new Error(`${what}: certificate subject ${leaf.subject}, expected CN=${cn}`);
}

async function startScepserver(bin: string, dir: string, logDir: string, wrap: Wrap): Promise<ScepSide> {
  const depot = join(dir, 'depot');
  await run(bin, ['ca', '-init', '-depot', depot, '-keySize', '2048', '-organization', 'bench-peers'], { cwd: dir });
  const port = freePort();
  const server = start('scepserver', bin, ['-depot', depot, '-port', String(port), '-challenge', CHALLENGE], { logDir, wrap, cwd: dir });
  await waitListening(port, wrap);
  const url = `http://127.0.0.1:${port}/scep`;
  const got = await post(wrap, dir, url, null);
  let recipient: Buffer;
  try {
    recipient = Buffer.from(new X509Certificate(got).raw);
  } catch {
    recipient = parseDegenerate(got)[0]!;
  }
  const caPem = readFileSync(join(depot, 'ca.pem'), 'utf8');
  return { name: 'scepserver', url, recipientPem: new X509Certificate(recipient).toString(), caPem, server };
}

export async function setupScep(dir: string, wrap: Wrap, scepserver: string | null): Promise<ScepFixture> {
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  log('scep: creating the Gatehouse development PKI and the requester key pool');
  const pki = await createPki(dir);
  const keys = await Promise.all(Array.from({ length: KEYS }, () => promisify(generateKeyPair)('rsa', { modulusLength: 2048 }).then((k) => k.privateKey)));
  const keysFile = join(dir, 'requester-keys.pem');
  writeFileSync(keysFile, keys.map((k) => k.export({ type: 'pkcs8', format: 'pem' })).join(''), { mode: 0o600 });
  const by = requester(keys[0]!, 0);
  const [check] = await seedEnrollment(pki, 'scepcheck', 1);
  const node = await serveEnroll(pki, { logDir, wrap });
  const ghUrl = `${node.addresses.http}/scep`;
  const ra = parseDegenerate(await post(wrap, dir, ghUrl, null))
    .map((d) => new X509Certificate(d))
    .find((x) => x.subject.includes(`CN=${RA_SUBJECT_CN}`));
  if (!ra || ra.publicKey.asymmetricKeyType !== 'rsa') throw new Error('gatehouse GetCACert: no RSA RA certificate');
  const gh = { name: 'gatehouse', url: ghUrl, recipientPem: ra.toString(), caPem: pki.issuingPem, server: node, node };
  const msg = () => pkcsReq(by, certInfo(Buffer.from(ra.raw)), check!.deviceId, check!.token);
  openCertRep('gatehouse PKCSReq', await post(wrap, dir, ghUrl, await msg()), by, pki.issuingPem, check!.deviceId);
  if (isSuccess(await post(wrap, dir, ghUrl, await msg()))) throw new Error('gatehouse: a replayed token was accepted');
  let peer: ScepSide | null = null;
  if (scepserver) {
    peer = await startScepserver(scepserver, dir, logDir, wrap);
    const rc = certInfo(Buffer.from(new X509Certificate(peer.recipientPem).raw));
    openCertRep('scepserver PKCSReq', await post(wrap, dir, peer.url, await pkcsReq(by, rc, 'check-1', CHALLENGE)), by, peer.caPem, 'check-1', true);
    if (isSuccess(await post(wrap, dir, peer.url, await pkcsReq(by, rc, 'check-2', 'wrong')))) throw new Error('scepserver accepted a wrong challenge');
  }
  log('scep: checked one PKCSReq per server (SUCCESS, certificate from its CA), token replay / wrong challenge refused');
  return { pki, dir, logDir, wrap, keysFile, gh, peer };
}
