/**
 * Shared set-ups for the OCSP tests:
 * - fakeEnv(): an OcspResponder over the FakeCa of helpers.ts with two issuers and known statuses.
 * - liveEnv(): the real CaService (test/helpers/pki.ts, SQLite or PostgreSQL), the responder and
 *   its router on a loopback HTTP server, and a temp dir with issuing.pem, root.pem, chain.pem for
 *   real clients (openssl, curl, ocsptool). run() executes a program without blocking the event
 *   loop: the responder lives in the test process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../../../platform/events.ts';
import { closeServer, createHttpServer, listen } from '../../../../platform/http/index.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { createMetrics, type Registry } from '../../../../platform/metrics.ts';
import { toPem } from '../../../../ca/asn1/index.ts';
import { createOcspRouter, OcspResponder } from '../../../../ca/ocsp/index.ts';
import type { LoadedIssuer } from '../../../../ca/types.ts';
import { createTestCa, makeCsr, type TestCa } from '../../../helpers/pki.ts';
import {
  buildRequest,
  FakeCa,
  fakeIssuer,
  good,
  parseResponse,
  revoked,
  type ParsedResponse,
  type RequestSpec,
} from './helpers.ts';
import type { OcspResult } from '../../../../ca/ocsp/index.ts';

export const ocspConfig = {
  responseValiditySeconds: 3600,
  refreshBeforeSeconds: 900,
  maxCertIds: 5,
  responderValidityDays: 30,
  responderRenewBeforeDays: 7,
};
export type OcspConfig = typeof ocspConfig;

export interface FakeEnv {
  A: LoadedIssuer;
  B: LoadedIssuer;
  ca: FakeCa;
  bus: EventBus;
  metrics: Registry;
  ocsp: OcspResponder;
  /** Replaces env.ocsp with a responder built with other settings (the old one is stopped). */
  remake(over?: Partial<OcspConfig>, extra?: { cacheSize?: number; statusTimeoutMs?: number }): OcspResponder;
  ask(spec: RequestSpec, opts?: { nonceAllowed?: boolean }): Promise<{ r: OcspResult; p: ParsedResponse }>;
}

const REVOKED_AT = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

/** Issuer A: 0x1001 good, 0x1002 keyCompromise, 0x1003 unspecified; issuer B: 0x1001 on hold. */
export function fakeEnv(A = fakeIssuer('issuer-a'), B = fakeIssuer('issuer-b')): FakeEnv {
  const ca = new FakeCa([A, B]);
  ca.setStatus('issuer-a', 0x1001, good());
  ca.setStatus('issuer-a', 0x1002, revoked('keyCompromise', REVOKED_AT));
  ca.setStatus('issuer-a', 0x1003, revoked('unspecified', REVOKED_AT));
  ca.setStatus('issuer-b', 0x1001, revoked('certificateHold', REVOKED_AT));
  const bus = new EventBus('node-1', silentLogger());
  const metrics = createMetrics(false);
  const env: FakeEnv = {
    A,
    B,
    ca,
    bus,
    metrics,
    ocsp: null as unknown as OcspResponder,
    remake(over = {}, extra = {}) {
      env.ocsp?.stop();
      env.ocsp = new OcspResponder({
        ca,
        bus,
        config: { ...ocspConfig, ...over },
        log: silentLogger(),
        metrics,
        ...extra,
      });
      return env.ocsp;
    },
    async ask(spec, opts) {
      const r = await env.ocsp.respond(buildRequest(spec), opts);
      return { r, p: parseResponse(r.der) };
    },
  };
  env.remake();
  return env;
}

export interface Run {
  code: number;
  out: string;
}

/** Runs a program without blocking the event loop; stdout and stderr together in `out`. */
export function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) || 1 : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

export interface LiveEnv {
  pki: TestCa;
  ocsp: OcspResponder;
  server: Server;
  /** http://127.0.0.1:<port>/ocsp */
  url: string;
  /** Path of a file in the temp dir. */
  f(name: string): string;
  /** Issues a device-tls certificate and writes it to <name>.pem. */
  leafPem(name: string): Promise<{ path: string; serial: string }>;
  /** `openssl ocsp -issuer issuing.pem -cert <cert> -url <url> -CAfile chain.pem ...extra` */
  ocspArgs(cert: string, ...extra: string[]): string[];
  close(): Promise<void>;
}

export async function liveEnv(config: Partial<OcspConfig> = {}): Promise<LiveEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-ocsp-'));
  const f = (name: string) => join(dir, name);
  const pki = await createTestCa();
  const ocsp = new OcspResponder({
    ca: pki.ca,
    bus: pki.bus,
    config: { ...ocspConfig, maxCertIds: 10, ...config },
    log: silentLogger(),
    metrics: createMetrics(false),
  });
  await ocsp.start();
  const timeouts = { requestTimeoutMs: 10_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 };
  const server = createHttpServer([createOcspRouter(ocsp)], timeouts, silentLogger());
  const url = `http://127.0.0.1:${(await listen(server, 0, '127.0.0.1')).port}/ocsp`;
  const issuing = toPem('CERTIFICATE', pki.issuer.record.certDer);
  writeFileSync(f('issuing.pem'), issuing);
  writeFileSync(f('root.pem'), toPem('CERTIFICATE', pki.rootCertDer));
  writeFileSync(f('chain.pem'), issuing + toPem('CERTIFICATE', pki.rootCertDer));
  return {
    pki,
    ocsp,
    server,
    url,
    f,
    async leafPem(name) {
      const c = await pki.ca.issue(makeCsr().csrDer, {
        profile: 'device-tls',
        subject: { commonName: name },
        actor: 'test',
      });
      writeFileSync(f(`${name}.pem`), toPem('CERTIFICATE', c.der));
      return { path: f(`${name}.pem`), serial: c.serial };
    },
    ocspArgs: (cert, ...extra) => [
      'ocsp',
      '-issuer',
      f('issuing.pem'),
      '-cert',
      cert,
      '-url',
      url,
      '-CAfile',
      f('chain.pem'),
      ...extra,
    ],
    async close() {
      ocsp.stop();
      await closeServer(server);
      await pki.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
