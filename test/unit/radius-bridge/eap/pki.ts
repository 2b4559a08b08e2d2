/**
 * Throwaway PKI for the EAP-TLS tests, made with the openssl CLI in a temp dir:
 * - our CA (P-256) issuing the RADIUS server cert and clients: P-256, and RSA-4096 through an
 *   intermediate CA (big chain -> many fragments);
 * - a foreign CA (P-256) with its own client (must be refused).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface Identity {
  key: Buffer;
  cert: Buffer;
  /** Leaf then intermediates (what the client sends). */
  chain: Buffer;
  der: Buffer;
}

export interface TestPki {
  caPem: Buffer;
  caDer: Buffer;
  intermediateDer: Buffer;
  server: Identity;
  clientEc: Identity;
  /** Absent unless asked for (RSA-4096 keygen takes a second or two). */
  clientRsa: Identity | undefined;
  foreignCaPem: Buffer;
  clientForeign: Identity;
  cleanup: () => void;
}

const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';
const SERVER_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:radius.test\n';
const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';

export function makeTestPki(opts: { rsa?: boolean } = {}): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-eap-'));
  const f = (name: string): string => join(dir, name);
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  writeFileSync(f('ca.ext'), CA_EXT);
  writeFileSync(f('server.ext'), SERVER_EXT);
  writeFileSync(f('client.ext'), CLIENT_EXT);

  const ecKey = (name: string): void =>
    ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(`${name}.key`));
  const rootCa = (name: string, cn: string): void => {
    ecKey(name);
    ossl(
      'req',
      '-x509',
      '-new',
      '-key',
      f(`${name}.key`),
      '-subj',
      `/CN=${cn}`,
      '-days',
      '2',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      f(`${name}.pem`),
    );
  };
  const issue = (name: string, cn: string, issuer: string, ext: string): void => {
    ossl('req', '-new', '-key', f(`${name}.key`), '-subj', `/CN=${cn}`, '-out', f(`${name}.csr`));
    ossl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f(`${issuer}.pem`),
      '-CAkey',
      f(`${issuer}.key`),
      '-set_serial',
      `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`,
      '-days',
      '2',
      '-sha256',
      '-extfile',
      f(ext),
      '-out',
      f(`${name}.pem`),
    );
  };
  const identity = (name: string, chainNames: string[] = []): Identity => {
    const cert = readFileSync(f(`${name}.pem`));
    return {
      key: readFileSync(f(`${name}.key`)),
      cert,
      chain: Buffer.concat([cert, ...chainNames.map((n) => readFileSync(f(`${n}.pem`)))]),
      der: Buffer.from(new X509Certificate(cert).raw),
    };
  };

  rootCa('ca', 'Gatehouse Test Root');
  ecKey('inter');
  issue('inter', 'Gatehouse Test Devices', 'ca', 'ca.ext');
  ecKey('server');
  issue('server', 'radius.test', 'ca', 'server.ext');
  ecKey('client-ec');
  issue('client-ec', 'device-ec', 'ca', 'client.ext');
  if (opts.rsa) {
    ossl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096', '-out', f('client-rsa.key'));
    issue('client-rsa', 'device-rsa', 'inter', 'client.ext');
  }
  rootCa('foreign', 'Foreign Root');
  ecKey('client-foreign');
  issue('client-foreign', 'device-ec', 'foreign', 'client.ext');

  const caPem = readFileSync(f('ca.pem'));
  return {
    caPem,
    caDer: Buffer.from(new X509Certificate(caPem).raw),
    intermediateDer: Buffer.from(new X509Certificate(readFileSync(f('inter.pem'))).raw),
    server: identity('server'),
    clientEc: identity('client-ec'),
    clientRsa: opts.rsa ? identity('client-rsa', ['inter']) : undefined,
    foreignCaPem: readFileSync(f('foreign.pem')),
    clientForeign: identity('client-foreign'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
