/**
 * Test PKI for the SCEP tests, made with the openssl CLI (independent of enrollment/scep):
 * an RSA CA, an RA certificate with keyEncipherment (+ subjectKeyIdentifier, for by-keyid recipients),
 * a second "foreign" RA, a device key with a PKCS#10 CSR carrying a challengePassword, the
 * device's self-signed SCEP signer certificate and a CA-issued device certificate; plus
 * envelopes made by `openssl cms -encrypt` (RFC 8894 §3.2.2 as a client would build them).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const openssl = (dir: string, ...args: string[]): Buffer =>
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

export interface TestPki {
  dir: string;
  caDer: Buffer;
  raDer: Buffer;
  raKey: crypto.KeyObject;
  otherDer: Buffer;
  otherKey: crypto.KeyObject;
  csrDer: Buffer;
  selfDer: Buffer;
  deviceKeyPem: string;
  deviceCertDer: Buffer;
  file: (name: string) => string;
}

let cached: TestPki | undefined;

/** One PKI per test process (key generation is the slow part). */
export function makePki(): TestPki {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-scep-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  /** Runs openssl with a space-separated argument string (no argument contains a space). */
  const o = (args: string): Buffer => openssl(dir, ...args.split(' '));
  const write = (name: string, body: string): void => fs.writeFileSync(path.join(dir, name), body);
  const ca = '-CA ca.pem -CAkey ca.key -CAcreateserial -days 2';
  o(
    'req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=Gatehouse-Test-CA ' +
      '-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign',
  );
  write(
    'ra.ext',
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nsubjectKeyIdentifier=hash\n',
  );
  for (const name of ['ra', 'other']) {
    o(
      `req -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.csr -subj /CN=Gatehouse-Test-${name.toUpperCase()}`,
    );
    o(`x509 -req -in ${name}.csr ${ca} -extfile ra.ext -out ${name}.pem`);
  }
  o('genrsa -out dev.key 2048');
  // challengePassword attribute (RFC 2985 §5.4.1) comes from a tiny config file.
  write(
    'csr.cnf',
    '[req]\nprompt=no\ndistinguished_name=dn\nattributes=a\n[dn]\nCN=device-0001\n[a]\nchallengePassword=one-time\n',
  );
  o('req -new -key dev.key -config csr.cnf -outform DER -out dev.csr.der');
  o('req -x509 -key dev.key -days 1 -subj /O=scep-client/CN=SCEP-SIGNER -outform DER -out self.der');
  o(`x509 -req -inform DER -in dev.csr.der ${ca} -outform DER -out dev.der`);
  const read = (f: string): Buffer => fs.readFileSync(path.join(dir, f));
  const pemToDer = (f: string): Buffer => new crypto.X509Certificate(read(f)).raw;
  cached = {
    dir,
    caDer: pemToDer('ca.pem'),
    raDer: pemToDer('ra.pem'),
    raKey: crypto.createPrivateKey(read('ra.key')),
    otherDer: pemToDer('other.pem'),
    otherKey: crypto.createPrivateKey(read('other.key')),
    csrDer: read('dev.csr.der'),
    selfDer: read('self.der'),
    deviceKeyPem: read('dev.key').toString(),
    deviceCertDer: read('dev.der'),
    file: (f) => path.join(dir, f),
  };
  return cached;
}

/** `openssl cms -encrypt` envelope (ContentInfo DER) of `content` for the PEM recipients. */
export function opensslEnvelope(pki: TestPki, content: Buffer, recips: string[], args: string[] = ['-aes128']): Buffer {
  const inFile = pki.file(`in-${crypto.randomUUID()}.der`);
  fs.writeFileSync(inFile, content);
  const recipArgs = recips.flatMap((r) => ['-recip', pki.file(r)]);
  // -recip must precede the -keyopt that applies to it, so recipient flags go first.
  return openssl(pki.dir, 'cms', '-encrypt', '-binary', '-in', inFile, '-outform', 'DER', ...recipArgs, ...args);
}
