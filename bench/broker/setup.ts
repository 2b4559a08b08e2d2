/**
 * The broker benchmark's fixture, made the way an operator would: `gatehouse init --dev`
 * (lib/gatehouse.ts createPki: P-256 issuing CA, admin-client certificate for bench@example.test),
 * `gatehouse cert issue` for nginx's server certificate (same CA, P-256, so both proxies present
 * the same kind of chain and verify the same client certificate against the same anchors), a
 * policy file, and the broker's configuration as GATEHOUSE_BROKER__* environment overrides.
 *
 * The authenticated session: session-child.ts opens the node's database and audit log and calls
 * the broker's SessionService exactly as the OIDC callback + MFA completion do (start() with the
 * user, groups, IdP amr, the certificate binding and a completed TOTP factor; audited), then
 * mintToken() for the console host (what the hand-off does). The load generator sends that token
 * as the __Host- session cookie. No IdP is contacted: the login flow itself is covered by the
 * integration and Chromium tests, and is not what this benchmark measures.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliJson } from '../../test/helpers/cli.ts';
import { createPki, p256Csr, type GhPki } from '../lib/gatehouse.ts';
import { runJson } from '../lib/proc.ts';

export const ROUTE_HOST = 'console.bench.test';
export const BROKER_HOST = 'broker.bench.test';
export const USER = { sub: 'bench-admin', email: 'bench@example.test', groups: ['ops'] };

export interface BrokerFixture {
  pki: GhPki;
  /** PEM: issuing + root (client-certificate anchors for nginx, server anchors for clients). */
  caPem: string;
  caFile: string;
  nginx: { certFile: string; keyFile: string };
  client: { certPem: string; keyPem: string; certFile: string; keyFile: string; fingerprint: string; serial: string };
  policyFile: string;
}

export function policyYaml(upstreamPort: number): string {
  return `routes:
  - { id: console, host: ${ROUTE_HOST}, upstream: "http://127.0.0.1:${upstreamPort}", websocket: true }
rules:
  - { id: no-admin, effect: deny, routes: ["*"], when: { paths: ["/admin"] } }
  - { id: ops-console, effect: allow, routes: [console], when: { groups: [ops], methods: [GET, HEAD], paths: ["/"], mfa: { methods: [totp, webauthn] } } }
`;
}

export async function makeFixture(dir: string, upstreamPort: number): Promise<BrokerFixture> {
  const pki = await createPki(dir);
  const caPem = pki.issuingPem + pki.rootPem;
  const caFile = join(dir, 'ca-chain.pem');
  writeFileSync(caFile, caPem);
  const csr = await p256Csr(dir, 'nginx', `/CN=${ROUTE_HOST}`);
  const issued = await cliJson<{ pem: string }>([...pki.g, 'cert', 'issue', '--csr', csr.csrFile, '--profile', 'device-tls', '--server-auth', '--cn', ROUTE_HOST, '--dns', ROUTE_HOST], pki.env);
  const nginxCert = join(dir, 'nginx.pem');
  writeFileSync(nginxCert, issued.pem);
  const x = new X509Certificate(pki.admin.certPem);
  const certFile = join(dir, 'admin.pem');
  const keyFile = join(dir, 'admin.key');
  writeFileSync(certFile, pki.admin.certPem);
  writeFileSync(keyFile, pki.admin.keyPem, { mode: 0o600 });
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, policyYaml(upstreamPort));
  return {
    pki,
    caPem,
    caFile,
    nginx: { certFile: nginxCert, keyFile: csr.keyFile },
    client: {
      certPem: pki.admin.certPem,
      keyPem: pki.admin.keyPem,
      certFile,
      keyFile,
      fingerprint: createHash('sha256').update(x.raw).digest('hex'),
      serial: x.serialNumber.toLowerCase().replace(/^0+/, ''),
    },
    policyFile,
  };
}

/** GATEHOUSE_* overrides that enable the broker on `port` (config file untouched). */
export function brokerEnv(f: BrokerFixture, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...f.pki.env,
    GATEHOUSE_HTTP__PORT: '0',
    GATEHOUSE_ADMIN__PORT: '0',
    GATEHOUSE_API__ENABLED: 'false',
    GATEHOUSE_LOG__LEVEL: 'warn',
    GATEHOUSE_BROKER__ENABLED: 'true',
    GATEHOUSE_BROKER__HOST: BROKER_HOST,
    GATEHOUSE_BROKER__LISTEN: JSON.stringify({ host: '127.0.0.1', port }),
    GATEHOUSE_BROKER__POLICY_FILE: f.policyFile,
    // Never contacted: the session is made directly (see above); discovery happens at login.
    GATEHOUSE_BROKER__OIDC: JSON.stringify({ issuer: 'https://idp.bench.test/', clientId: 'gatehouse-bench' }),
    GATEHOUSE_BROKER__MFA: JSON.stringify({ methods: ['totp'], totp: { encryptionKey: { value: 'bench-totp-encryption-key-0123456789abcdef' } } }),
    ...extra,
  };
}

/** An authenticated session (cert + SSO + TOTP) and its token for the console host. */
export async function makeSession(f: BrokerFixture): Promise<{ sessionId: string; token: string }> {
  const input = { dataDir: f.pki.g[1]!, brokerHost: BROKER_HOST, routeHost: ROUTE_HOST, user: USER, cert: { fingerprint: f.client.fingerprint, serial: f.client.serial, issuerId: f.pki.issuerId } };
  return runJson(join(import.meta.dirname, 'session-child.ts'), [JSON.stringify(input)], { env: f.pki.env, timeoutMs: 60_000 });
}

export const readPem = (file: string): string => readFileSync(file, 'utf8');
