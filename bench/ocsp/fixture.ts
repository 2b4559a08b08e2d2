/**
 * Fixture of the OCSP benchmark, shared by every side so that all answer about the SAME
 * certificates with the SAME request bytes:
 * - 100 device-tls certificates issued by Gatehouse's P-256 issuing CA (admin API);
 * - a P-256 delegated responder certificate (profile ocsp-responder, id-kp-OCSPSigning) from the
 *   same CA for the peers, by `gatehouse cert issue` (Gatehouse makes its own P-256 responder at
 *   start);
 * - RFC 6960 requests made by openssl (`openssl ocsp -reqout`, SHA-1 CertID): one without nonce
 *   and one with a nonce per certificate, sent as POST bodies and as GET paths;
 * - for cfssl: one pre-signed response per certificate (`cfssl ocspsign`, status good);
 * - for `openssl ocsp -port`: an index.txt listing the 100 serials as valid.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ocspSign } from '../lib/cfssl.ts';
import { createPki, issueMany, p256Csr, serve, type GhPki } from '../lib/gatehouse.ts';
import { log, run } from '../lib/proc.ts';
import { cliJson } from '../../test/helpers/cli.ts';

export const NCERTS = 100;

export interface OcspFixture {
  pki: GhPki;
  dir: string;
  leafFiles: string[];
  /** DER requests without / with nonce, one per certificate. */
  plain: Buffer[];
  nonce: Buffer[];
  responderFile: string;
  responderKeyFile: string;
  /** issuing CA + root, for verifying responses */
  chainFile: string;
  /** cfssl ocspserve input (base64 DER per line), or null without cfssl */
  cfsslResponses: string | null;
  opensslIndex: string;
}

/** index.txt line: status, expiry (YYMMDDHHMMSSZ), revocation, serial (upper hex, even length), file, subject */
function indexLine(pem: string): string {
  const x = new X509Certificate(pem);
  const d = new Date(x.validTo);
  const p = (n: number) => String(n).padStart(2, '0');
  const exp = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  let serial = x.serialNumber.toUpperCase().replace(/^0+/, '');
  if (serial.length % 2) serial = `0${serial}`;
  return `V\t${exp}\t\t${serial}\tunknown\t/${x.subject.replace(/\n/g, '/')}\n`;
}

export async function makeFixture(dir: string, logDir: string, cfssl: string | null): Promise<OcspFixture> {
  const pki = await createPki(dir);
  const device = await p256Csr(dir, 'device');
  const responder = await p256Csr(dir, 'responder', '/CN=bench peer OCSP responder');
  // the admin API refuses profile ocsp-responder: the operator command issues it
  const resp = await cliJson<{ pem: string }>([...pki.g, 'cert', 'issue', '--csr', responder.csrFile, '--profile', 'ocsp-responder', '--cn', 'bench peer OCSP responder'], pki.env);
  const responderFile = join(dir, 'responder.pem');
  writeFileSync(responderFile, resp.pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/)![0]);
  const gh = await serve(pki, { logDir, name: 'gatehouse-fixture' });
  try {
    log(`ocsp: issuing ${NCERTS} device certificates through the admin API`);
    const bodies = Array.from({ length: NCERTS }, (_, i) => ({ csr: device.pem, profile: 'device-tls', subject: { commonName: `device-${i + 1}` } }));
    const leaves = await issueMany(gh, pki, bodies);
    const chainFile = join(dir, 'chain.pem');
    writeFileSync(chainFile, pki.issuingPem + pki.rootPem);
    const leafFiles = leaves.map((l, i) => {
      const f = join(dir, `leaf-${i + 1}.pem`);
      writeFileSync(f, l.certificate);
      return f;
    });
    const plain: Buffer[] = [];
    const nonce: Buffer[] = [];
    for (const f of leafFiles) {
      const base = ['ocsp', '-issuer', pki.issuingCertFile, '-cert', f, '-reqout'];
      await run('openssl', [...base, join(dir, 'req.der'), '-no_nonce']);
      plain.push(readFileSync(join(dir, 'req.der')));
      await run('openssl', [...base, join(dir, 'req.der')]);
      nonce.push(readFileSync(join(dir, 'req.der')));
    }
    const opensslIndex = join(dir, 'index.txt');
    writeFileSync(opensslIndex, leaves.map((l) => indexLine(l.certificate)).join(''));
    let cfsslResponses: string | null = null;
    if (cfssl) {
      log(`ocsp: pre-signing ${NCERTS} responses with cfssl ocspsign`);
      const lines: string[] = [];
      for (const certFile of leafFiles) lines.push(await ocspSign(cfssl, { issuerFile: pki.issuingCertFile, responderFile, responderKeyFile: responder.keyFile, certFile }));
      cfsslResponses = join(dir, 'cfssl-responses.b64');
      writeFileSync(cfsslResponses, lines.join('\n') + '\n');
    }
    return { pki, dir, leafFiles, plain, nonce, responderFile, responderKeyFile: responder.keyFile, chainFile, cfsslResponses, opensslIndex };
  } finally {
    await gh.stop();
  }
}

/** GET path of a request: base path + URL-encoded standard base64 (RFC 6960 A.1). */
export const getPath = (base: string, der: Buffer): string => `${base.replace(/\/$/, '')}/${encodeURIComponent(der.toString('base64'))}`;
