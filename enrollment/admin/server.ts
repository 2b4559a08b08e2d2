/**
 * The admin API listener: HTTPS with mutual TLS (client certificates verified against our CA at
 * the handshake, then checked live per request by auth.ts). TLS 1.2+; slow clients are cut.
 */
import type { Server } from 'node:https';
import { createHttpServer, type Logger } from '../../platform/index.ts';
import { toPem } from '../../ca/asn1/index.ts';
import { createAdminRouter, type AdminApiDeps } from './routes.ts';

export function createAdminApiServer(deps: AdminApiDeps, tls: { keyPem: string; certPem: string; caDer: Buffer[] }, log: Logger): Server {
  return createHttpServer([createAdminRouter(deps)], { requestTimeoutMs: 60_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 }, log, {
    key: tls.keyPem,
    cert: tls.certPem,
    ca: tls.caDer.map((d) => toPem('CERTIFICATE', d)),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  }) as Server;
}
