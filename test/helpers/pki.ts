/**
 * A complete, fast test PKI: offline root -> issuing CA (registered in the store) -> CaService.
 *
 * - createTestPki({ db, audit, bus }) runs the real ceremony (ca/root) in a temp dir with P-256
 *   keys by default (~10 ms), registers the issuing CA and opens a CaService on it.
 * - createTestCa() also makes the database (SQLite, or PostgreSQL with GATEHOUSE_TEST_DB=pg),
 *   the audit log and the event bus: one call for tests that only need "a CA".
 * - makeCsr(alg) builds a PKCS#10 request with the owned DER writer; its options produce the
 *   odd requests parsers must refuse (weak keys, CA requests, duplicate extensions ...).
 * Always call cleanup().
 */
import { generateKeyPairSync, sign as nodeSign, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, auditMigrations } from '../../platform/audit/index.ts';
import { generateKey, SoftwareSigner, type KeyAlgorithm, type Signer } from '../../platform/crypto.ts';
import type { Db } from '../../platform/db/index.ts';
import { EventBus } from '../../platform/events.ts';
import { silentLogger } from '../../platform/log.ts';
import { encodeName } from '../../ca/asn1/index.ts';
import {
  buildCsr,
  CaService,
  caMigrations,
  createIssuingKeyAndCsr,
  registerIssuer,
  type CaServiceOptions,
  type CertExtension,
  type LoadedIssuer,
  type SubjectSpec,
} from '../../ca/index.ts';
import { createRoot, signIssuing, type RootAlgorithm } from '../../ca/root/index.ts';
import { createTestDb, type TestDb } from './db.ts';

export const TEST_PASSPHRASE = 'test-passphrase-0123';

export interface TestPkiOptions {
  db: Db;
  audit: AuditLog;
  bus: EventBus;
  publicUrl?: string;
  algorithm?: RootAlgorithm;
  /** Extra CaService options (profiles overrides, hooks, now ...). */
  service?: Partial<Omit<CaServiceOptions, 'db' | 'audit' | 'bus'>>;
  issuingSubject?: SubjectSpec;
}

export interface TestPki {
  ca: CaService;
  rootDir: string;
  rootCertDer: Buffer;
  issuer: LoadedIssuer;
  /** Unlocks both the root and the issuing key. */
  passphrase: string;
  keyDir: string;
  publicUrl: string;
  /** Certifies and registers another issuing CA (rollover); the service is reloaded. */
  addIssuer(subject?: SubjectSpec): Promise<LoadedIssuer>;
  cleanup(): Promise<void>;
}

export async function createTestPki(o: TestPkiOptions): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-pki-'));
  const rootDir = join(dir, 'root');
  const keyDir = join(dir, 'ca');
  const algorithm = o.algorithm ?? 'P-256';
  const publicUrl = o.publicUrl ?? 'http://127.0.0.1:8080';
  const root = createRoot({ dir: rootDir, passphrase: TEST_PASSPHRASE, algorithm, subject: { commonName: 'Gatehouse Test Root', organization: 'Gatehouse Test' } });
  let n = 0;
  const certify = async (subject: SubjectSpec): Promise<void> => {
    const k = createIssuingKeyAndCsr({ keyDir, passphrase: TEST_PASSPHRASE, algorithm, subject });
    const signed = await signIssuing({ dir: rootDir, passphrase: TEST_PASSPHRASE, csrDer: k.csrDer, validityYears: 5 });
    await registerIssuer(o.db, o.audit, { certDer: signed.certDer, chainDer: [root.certDer], keyFile: k.keyFile, actor: 'test:ceremony', passphrase: TEST_PASSPHRASE });
  };
  await certify(o.issuingSubject ?? { commonName: 'Gatehouse Test Issuing CA 1', organization: 'Gatehouse Test' });
  const ca = await CaService.open({ db: o.db, audit: o.audit, bus: o.bus, publicUrl, passphrase: TEST_PASSPHRASE, workers: 0, ...o.service });
  return {
    ca,
    rootDir,
    rootCertDer: root.certDer,
    issuer: ca.activeIssuer(),
    passphrase: TEST_PASSPHRASE,
    keyDir,
    publicUrl,
    async addIssuer(subject) {
      n++;
      await certify(subject ?? { commonName: `Gatehouse Test Issuing CA ${n + 1}`, organization: 'Gatehouse Test' });
      await ca.reload();
      return ca.activeIssuer();
    },
    async cleanup() {
      await ca.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestCa extends TestPki {
  t: TestDb;
  db: Db;
  audit: AuditLog;
  bus: EventBus;
}

/** Database + audit log + event bus + PKI in one call. */
export async function createTestCa(opts: Omit<TestPkiOptions, 'db' | 'audit' | 'bus'> = {}): Promise<TestCa> {
  const t = await createTestDb([...auditMigrations, ...caMigrations]);
  const audit = new AuditLog(t.db, { nodeId: 'test', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, keyId: 'test-audit', checkpointEvery: 1000, checkpointMinutes: 10 });
  await audit.init();
  const bus = new EventBus('test', silentLogger());
  const pki = await createTestPki({ ...opts, db: t.db, audit, bus });
  return {
    ...pki,
    t,
    db: t.db,
    audit,
    bus,
    async cleanup() {
      await pki.cleanup();
      await bus.close();
      await t.cleanup();
    },
  };
}

export type CsrKeyAlg = KeyAlgorithm | 'RSA-1024' | 'RSA-e3';

export interface MakeCsrOptions {
  subject?: SubjectSpec;
  extensions?: CertExtension[];
  challengePassword?: string;
  /** Replace the SPKI in the request (the signature still covers what is encoded). */
  spkiDer?: Buffer;
}

/** A signer for keys platform/crypto refuses (RSA-1024, e = 3): signs as sha256WithRSA. */
function rawRsaSigner(key: KeyObject): Signer {
  const publicKey = createPublicKey(key);
  return { algorithm: 'RSA-2048', spki: publicKey.export({ type: 'spki', format: 'der' }), publicKey, digest: 'sha256', sign: (d) => nodeSign('sha256', d, key) };
}

/** A PKCS#10 request for a fresh key of `alg`. */
export function makeCsr(alg: CsrKeyAlg = 'P-256', opts: MakeCsrOptions = {}): { csrDer: Buffer; key: KeyObject; signer: Signer } {
  let key: KeyObject;
  let signer: Signer;
  if (alg === 'RSA-1024' || alg === 'RSA-e3') {
    key = generateKeyPairSync('rsa', { modulusLength: alg === 'RSA-1024' ? 1024 : 2048, publicExponent: alg === 'RSA-e3' ? 3 : 65537 }).privateKey;
    signer = rawRsaSigner(key);
  } else {
    key = generateKey(alg);
    signer = new SoftwareSigner(key);
  }
  const subjectDer = encodeName(opts.subject ?? { commonName: 'csr-asked-name' });
  const csrDer = buildCsr({ signer, subjectDer, ...(opts.spkiDer ? { spkiDer: opts.spkiDer } : {}), extensions: opts.extensions ?? [], ...(opts.challengePassword !== undefined ? { challengePassword: opts.challengePassword } : {}) });
  return { csrDer, key, signer };
}
