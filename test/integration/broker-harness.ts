/**
 * The broker's test world: database + audit + event bus + real CA, a real OpenID Provider
 * (broker-idp.ts), a self-signed device console (broker-upstream.ts), the broker itself, and
 * the certificates every test needs. Used by the integration and the Chromium interop tests.
 *
 * Rules: everything listens on 127.0.0.1; host names under gatehouse.test are mapped to the
 * broker port by the clients (curl --resolve, TestBrowser, a CONNECT proxy for Chromium).
 * The broker is configured through the real config loader (loadConfig + overrides).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, auditMigrations } from '../../platform/audit/index.ts';
import { loadConfig } from '../../platform/config/index.ts';
import { AppError } from '../../platform/errors.ts';
import { EventBus } from '../../platform/events.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { caMigrations } from '../../ca/index.ts';
import { brokerMigrations, createBroker, type Broker } from '../../ztna-broker/index.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { expiredUnderIssuer, foreignSelfSigned, issueAdmin, issueDevice, pemOf, type TestCert } from './broker-certs.ts';
import { TestBrowser } from './broker-client.ts';
import { startIdp, type IdpAccount, type TestIdp } from './broker-idp.ts';
import { startUpstream, type TestUpstream } from './broker-upstream.ts';

export const HOSTS = {
  broker: 'broker.gatehouse.test',
  cam: 'cam.gatehouse.test',
  hvac: 'hvac.gatehouse.test',
  sw: 'switch.gatehouse.test',
  badpin: 'badpin.gatehouse.test',
  idp: 'localhost',
} as const;

export const ACCOUNTS: Record<string, IdpAccount> = {
  alice: { email: 'alice@example.com', groups: ['ops'], amr: ['pwd'] },
  bob: { email: 'bob@example.com', groups: ['ops', 'gatehouse-approvers', 'gatehouse-admins'], amr: ['pwd'] },
  carol: { email: 'carol@example.com', groups: ['ops'], amr: ['pwd', 'otp'], acr: 'urn:test:mfa' },
  erin: { email: 'erin@example.com', emailVerified: false, groups: ['ops'], amr: ['pwd'] },
};

export const CLIENT_ID = 'gatehouse-broker';
const CLIENT_SECRET = 'test-client-secret-0123456789';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function policyYaml(upstreamPort: number, pin: string, badPin: string): string {
  const up = `https://127.0.0.1:${upstreamPort}`;
  return `routes:
  - { id: cam, host: ${HOSTS.cam}, upstream: "${up}", pin: "${pin}", websocket: true }
  - { id: hvac, host: ${HOSTS.hvac}, upstream: "${up}", pin: "${pin}", sensitive: true }
  - { id: switch, host: ${HOSTS.sw}, upstream: "${up}", pin: "${pin}" }
  - { id: badpin, host: ${HOSTS.badpin}, upstream: "${up}", pin: "${badPin}" }
rules:
  - { id: deny-admin-paths, effect: deny, routes: ["*"], when: { paths: ["/admin"] } }
  - { id: ops-cam, effect: allow, routes: [cam], when: { groups: [ops], methods: [GET, HEAD, POST], paths: ["/"] } }
  - { id: ops-hvac, effect: allow, routes: [hvac], when: { groups: [ops], mfa: { maxAgeSeconds: 120 } } }
  - { id: ops-switch-jit, effect: allow, routes: [switch], when: { groups: [ops], jitGrant: true } }
  - { id: ops-badpin, effect: allow, routes: [badpin], when: { groups: [ops] } }
`;
}

export interface WorldOptions {
  auditRequests?: 'each' | 'summary';
  trustAmr?: string[];
}

export interface World {
  t: TestDb;
  pki: TestPki;
  audit: AuditLog;
  bus: EventBus;
  broker: Broker;
  idp: TestIdp;
  upstream: TestUpstream;
  certs: Record<'alice' | 'bob' | 'carol' | 'erin' | 'mallory' | 'alice2' | 'device' | 'expired' | 'foreign' | 'server' | 'idp' | 'console', TestCert>;
  port: number;
  caPem: string;
  caFile: string;
  dir: string;
  ports: Record<string, number>;
  /** Set `fail` to make the CA's live status lookups throw (store outage). */
  caFault: { fail: boolean };
  /** Milliseconds added to the broker's clock (session lifetimes, MFA age, TOTP steps). */
  clock: { offset: number };
  /** The broker's idea of now (epoch ms). */
  now(): number;
  url(host: string, path?: string): string;
  origin(host: string): string;
  browser(cert: TestCert | null): TestBrowser;
  stop(): Promise<void>;
}

export async function startWorld(o: WorldOptions = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-broker-'));
  const t = await createTestDb([...auditMigrations, ...caMigrations, ...brokerMigrations]);
  const audit = new AuditLog(t.db, { nodeId: 'test', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, keyId: 'test-audit', checkpointEvery: 1000, checkpointMinutes: 10 });
  await audit.init();
  const bus = new EventBus('test', silentLogger());
  const pki = await createTestPki({ db: t.db, audit, bus });
  const ca = pki.ca;
  const caPem = ca.caCertificates().map(pemOf).join('');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, caPem);
  const certs = {
    alice: await issueAdmin(ca, dir, 'alice', 'alice@example.com'),
    bob: await issueAdmin(ca, dir, 'bob', 'bob@example.com'),
    carol: await issueAdmin(ca, dir, 'carol', 'carol@example.com'),
    erin: await issueAdmin(ca, dir, 'erin', 'erin@example.com'),
    mallory: await issueAdmin(ca, dir, 'mallory', 'mallory@example.com'),
    alice2: await issueAdmin(ca, dir, 'alice2', 'alice@example.com'),
    device: await issueDevice(ca, dir, 'device', ['device-1.gatehouse.test']),
    expired: expiredUnderIssuer(ca, dir, 'alice@example.com'),
    foreign: foreignSelfSigned(dir, 'foreign', 'alice@example.com'),
    server: await issueDevice(ca, dir, 'broker-server', Object.values(HOSTS).filter((h) => h !== 'localhost'), true),
    idp: await issueDevice(ca, dir, 'idp-server', ['localhost'], true),
    console: foreignSelfSigned(dir, 'camera-console'),
  };
  const other = foreignSelfSigned(dir, 'other-console');
  const upstream = await startUpstream(certs.console);
  const port = await freePort();
  const idpPort = await freePort();
  const brokerOrigin = `https://${HOSTS.broker}:${port}`;
  const idp = await startIdp({ host: HOSTS.idp, port: idpPort, key: certs.idp.keyPem, cert: certs.idp.chainPem, redirectUri: `${brokerOrigin}/callback`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, accounts: ACCOUNTS });
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, policyYaml(upstream.port, `sha256:${certs.console.fingerprint}`, `sha256:${other.fingerprint}`));
  const emptyConfig = join(dir, 'gatehouse.yaml');
  writeFileSync(emptyConfig, '{}\n');
  const cfg = loadConfig({
    file: emptyConfig,
    env: {},
    overrides: {
      broker: {
        enabled: true,
        host: HOSTS.broker,
        listen: { host: '127.0.0.1', port },
        policyFile,
        oidc: { issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: { value: CLIENT_SECRET }, caFile },
        mfa: { totp: { encryptionKey: { value: 'test-totp-encryption-key-0123456789' } }, trustIdp: { amr: o.trustAmr ?? ['otp'] } },
        audit: { requests: o.auditRequests ?? 'each' },
      },
    },
  });
  const clock = { offset: 0 };
  const now = () => Date.now() + clock.offset;
  const caFault = { fail: false };
  const faultyCa = new Proxy(ca, {
    get(target, prop, receiver) {
      if (prop === 'statusOfCert' && caFault.fail) return async () => Promise.reject(new AppError('ERR_STORE_UNAVAILABLE', 'store down (test)'));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const broker = await createBroker({ config: cfg.broker, db: t.db, audit, bus, ca: faultyCa, log: silentLogger(), metrics: createMetrics(false), tls: { key: certs.server.keyPem, cert: certs.server.chainPem }, now });
  await broker.start();
  const ports: Record<string, number> = { [HOSTS.idp]: idpPort };
  for (const h of Object.values(HOSTS)) if (h !== 'localhost') ports[h] = port;
  return {
    t,
    pki,
    audit,
    bus,
    broker,
    idp,
    upstream,
    certs,
    port,
    caPem,
    caFile,
    dir,
    ports,
    caFault,
    clock,
    now,
    url: (host, path = '/') => `https://${host}:${host === HOSTS.idp ? idpPort : port}${path}`,
    origin: (host) => `https://${host}:${host === HOSTS.idp ? idpPort : port}`,
    browser: (cert) => new TestBrowser({ cert, ca: caPem, ports }),
    async stop() {
      await broker.stop();
      await idp.close();
      await upstream.close();
      await pki.cleanup();
      await bus.close();
      await t.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
