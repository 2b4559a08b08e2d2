/**
 * The EST HTTPS listener: createEstServer() wires handlers + router into platform/http.
 *
 * Rules enforced:
 * - RFC 7030 §3.3.1: HTTPS only, TLS 1.2 or 1.3 (RFC 8996: nothing older), no renegotiation:
 *   the client certificate and the channel binding (RFC 5929 §3) are read once per connection
 *   and must not change under it. The server certificate comes from our CA (the caller passes
 *   it; serverAuth profile) with its chain.
 * - §3.3.2: the client certificate is requested but not required (requestCert true,
 *   rejectUnauthorized false): Basic-token devices may have none. Node verifies a presented
 *   chain against `ca` = every loaded issuer with its chain + the IDevID anchors; the router
 *   trusts a certificate only when the socket says `authorized`.
 * - Slow clients are cut: handshakeTimeout and headersTimeout = est.headersTimeoutMs,
 *   requestTimeout = est.requestTimeoutMs (checked every connectionsCheckingInterval, kept
 *   below the smallest timeout), keepAliveTimeout = est.keepAliveTimeoutMs. A TLS-level client
 *   error (handshake timeout, garbage instead of a ClientHello) destroys the socket at once.
 * - refreshTrust() rebuilds the TLS context after an issuer rollover or a new server
 *   certificate; close() ends every connection (keep-alive included).
 */
import { constants, KeyObject, type X509Certificate } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { closeServer, createHttpServer, listen } from '../../platform/http/index.ts';
import type { Logger } from '../../platform/log.ts';
import type { Registry } from '../../platform/metrics.ts';
import type { CertificateAuthority } from '../../ca/index.ts';
import { toPem } from '../../ca/asn1/index.ts';
import type { Onboarding } from '../onboarding/index.ts';
import { createEstHandlers, type EstConfig, type EstHandlers } from './handlers.ts';
import { createEstRouter, logEstFailure } from './router.ts';

export interface EstTls {
  /** The EST server's private key (KeyObject or PEM). */
  key: KeyObject | string | Buffer;
  /** Server certificate first, then its issuing CA(s): DER buffers or one PEM string. */
  cert: Buffer[] | string;
}

export interface EstServerOptions {
  onboarding: Pick<Onboarding, 'enroll'>;
  ca: Pick<CertificateAuthority, 'caCertificates' | 'issuers'>;
  /** enrollment.est plus enrollment.labels (and optionally enrollment.approval). */
  config: EstConfig;
  tls: EstTls;
  /** Manufacturer IDevID trust anchors (Onboarding's, from enrollment.idevid.trustAnchors). */
  idevidAnchors: readonly X509Certificate[];
  log: Logger;
  metrics?: Registry;
}

export interface EstServer {
  server: Server;
  handlers: EstHandlers;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Rebuild the TLS context (issuer rollover, renewed server certificate). */
  refreshTrust(tls?: EstTls): void;
  close(): Promise<void>;
}

function secureContext(o: EstServerOptions, tls: EstTls): SecureContextOptions {
  const trust = new Set<string>();
  for (const i of o.ca.issuers())
    for (const d of [i.record.certDer, ...i.record.chainDer]) trust.add(toPem('CERTIFICATE', d));
  for (const d of o.ca.caCertificates()) trust.add(toPem('CERTIFICATE', d));
  for (const a of o.idevidAnchors) trust.add(a.toString());
  const key = tls.key instanceof KeyObject ? tls.key.export({ type: 'pkcs8', format: 'pem' }) : tls.key;
  const cert = typeof tls.cert === 'string' ? tls.cert : tls.cert.map((d) => toPem('CERTIFICATE', d)).join('');
  return { key, cert, ca: [...trust] };
}

export function createEstServer(o: EstServerOptions): EstServer {
  const c = o.config;
  const handlers = createEstHandlers({ onboarding: o.onboarding, ca: o.ca, config: c, onError: logEstFailure(o.log) });
  const router = createEstRouter({ handlers, maxBodyBytes: c.maxBodyBytes, log: o.log, metrics: o.metrics });
  const check = Math.max(25, Math.min(1000, Math.floor(Math.min(c.requestTimeoutMs, c.headersTimeoutMs) / 4)));
  const server = createHttpServer(
    [router],
    {
      requestTimeoutMs: c.requestTimeoutMs,
      headersTimeoutMs: Math.min(c.headersTimeoutMs, c.requestTimeoutMs),
      keepAliveTimeoutMs: c.keepAliveTimeoutMs,
    },
    o.log,
    {
      ...secureContext(o, o.tls),
      requestCert: true,
      rejectUnauthorized: false,
      // per-connection facts (client chain, channel binding) must not change under a request
      secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      handshakeTimeout: c.headersTimeoutMs,
      connectionsCheckingInterval: check,
    },
  );
  // a TLS failure (handshake timeout, bad ClientHello) cannot be answered in HTTP: drop the socket
  // before platform/http's clientError handler tries to write a 400 into an unfinished handshake
  server.prependListener('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!/^(HPE_|ERR_HTTP_)/.test(err.code ?? '')) socket.destroy();
  });
  let tls = o.tls;
  return {
    server,
    handlers,
    listen: (port = c.port, host = c.host) => listen(server, port, host),
    refreshTrust(next) {
      if (next) tls = next;
      (server as unknown as { setSecureContext(o: SecureContextOptions): void }).setSecureContext(
        secureContext(o, tls),
      );
    },
    close: () => closeServer(server),
  };
}
