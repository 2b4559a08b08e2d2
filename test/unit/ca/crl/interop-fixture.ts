/**
 * A served CA for real-client CRL tests: HTTP listener on 127.0.0.1:<port> -> CRL router ->
 * CrlService over the real issuance core (createTestCa, publicUrl = the listener, so the CDP and
 * AIA URLs in issued certificates resolve here), with PEM files in a temp dir for the tools.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toPem } from '../../../../ca/asn1/index.ts';
import { CrlService, createCrlRouter, type CrlServiceOptions, type PublishedCrl } from '../../../../ca/crl/index.ts';
import type { IssuedCert } from '../../../../ca/types.ts';
import { closeServer, createHttpServer, listen, Router } from '../../../../platform/http/index.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { createTestCa, makeCsr, type TestCa } from '../../../helpers/pki.ts';

export const CRL_CONFIG = {
  validitySeconds: 86_400,
  rebuildIntervalSeconds: 3_600,
  debounceMs: 20,
  deltaValiditySeconds: 3_600,
};

export interface ServedCa {
  ca: TestCa;
  crl: CrlService;
  issuerId: string;
  baseUrl: string;
  dir: string;
  /** Path of a file in the temp dir. */
  path(name: string): string;
  /** Issues a device-tls certificate and writes <name>.pem. */
  issue(name: string): Promise<IssuedCert>;
  /** Writes a CRL as <name>.pem and <name>.der. */
  writeCrl(name: string, crl: PublishedCrl): void;
  close(): Promise<void>;
}

export async function servedCa(crlOptions: Partial<CrlServiceOptions> = {}): Promise<ServedCa> {
  const router = new Router();
  const server: Server = createHttpServer(
    [router],
    { requestTimeoutMs: 10_000, headersTimeoutMs: 5_000, keepAliveTimeoutMs: 1_000 },
    silentLogger(),
  );
  const { port } = await listen(server, 0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;
  const ca = await createTestCa({ publicUrl: baseUrl });
  const crl = new CrlService({
    db: ca.db,
    ca: ca.ca,
    bus: ca.bus,
    audit: ca.audit,
    config: CRL_CONFIG,
    publicUrl: baseUrl,
    log: silentLogger(),
    ...crlOptions,
  });
  createCrlRouter(crl, {}, router);
  const dir = mkdtempSync(join(tmpdir(), 'gh-crl-interop-'));
  const path = (name: string) => join(dir, name);
  writeFileSync(path('root.pem'), toPem('CERTIFICATE', ca.rootCertDer));
  writeFileSync(path('issuing.pem'), toPem('CERTIFICATE', ca.issuer.record.certDer));
  return {
    ca,
    crl,
    issuerId: ca.issuer.record.id,
    baseUrl,
    dir,
    path,
    async issue(name) {
      const cert = await ca.ca.issue(makeCsr('P-256').csrDer, {
        profile: 'device-tls',
        subject: { commonName: name },
        actor: 'test',
      });
      writeFileSync(path(`${name}.pem`), toPem('CERTIFICATE', cert.der));
      return cert;
    },
    writeCrl(name, c) {
      writeFileSync(path(`${name}.pem`), crl.pem(c));
      writeFileSync(path(`${name}.der`), c.der);
    },
    async close() {
      await closeServer(server);
      await crl.stop();
      await ca.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool without a shell; never throws on a non-zero exit. */
export function run(tool: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { cwd, timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') return reject(err);
      resolve({
        code: err ? Number((err as { code: number }).code) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });
}
