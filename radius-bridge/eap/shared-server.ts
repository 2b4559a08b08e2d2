/**
 * One TLS server context for every EAP-TLS session of an engine.
 *
 * Why: building a SecureContext (parsing key, chain and CA list) cost ~2.9 ms of CPU per
 * authentication when each session made its own tls.Server; the handshake itself costs less.
 *
 * Rules:
 * - One unlistened `tls.createServer(opts)` per engine holds the SecureContext and settings
 *   (requestCert, rejectUnauthorized, handshake timeout). Each session gets a *view* of it:
 *   an object whose prototype is that server with its own event table, handed to the server's
 *   own 'connection' listener (Node's tlsConnectionListener, taken with the public
 *   `listeners('connection')`). So every session still goes through Node's server path —
 *   verifyError() checked, unauthorized sockets destroyed (PITFALLS.md) — and its
 *   'secureConnection' / 'tlsClientError' events reach only that session.
 * - No resumption across sessions: Node's contexts keep no internal session cache
 *   (SSL_SESS_CACHE_NO_INTERNAL) and resume only through 'resumeSession' listeners, which are
 *   never added; tickets are off (SSL_OP_NO_TICKET from resolveTlsServerOptions). Every EAP-TLS
 *   authentication sees the full client certificate (RFC 9190 §5.7). Tested in
 *   test/unit/radius-bridge/eap-shared/.
 * - requestCert and rejectUnauthorized are required (ERR_CONFIG otherwise).
 */
import { X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { AppError } from '../../platform/errors.ts';

export interface SessionTlsEvents {
  secure(socket: tls.TLSSocket): void;
  clientError(err: Error, socket: tls.TLSSocket): void;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function parseCaList(ca: tls.TlsOptions['ca']): X509Certificate[] {
  const items = ca === undefined ? [] : Array.isArray(ca) ? ca : [ca];
  const out: X509Certificate[] = [];
  for (const item of items) {
    const text = Buffer.isBuffer(item) ? item.toString('latin1') : String(item);
    for (const pem of text.match(PEM_BLOCK) ?? []) out.push(new X509Certificate(pem));
  }
  return out;
}

export class SharedTlsServer {
  /** The trusted CA certificates, parsed once (to complete peer chains up to the anchor). */
  readonly trusted: readonly X509Certificate[];
  readonly #server: tls.Server;
  readonly #onConnection: (this: tls.Server, socket: Duplex) => void;

  constructor(opts: tls.TlsOptions, handshakeTimeoutMs: number) {
    if (opts.requestCert !== true || opts.rejectUnauthorized !== true) {
      throw new AppError('ERR_CONFIG', 'EAP-TLS requires requestCert and rejectUnauthorized');
    }
    this.trusted = parseCaList(opts.ca);
    this.#server = tls.createServer({ ...opts, handshakeTimeout: Math.max(1, Math.ceil(handshakeTimeoutMs)) });
    const listeners = this.#server.listeners('connection');
    if (listeners.length !== 1 || typeof listeners[0] !== 'function') {
      throw new AppError('ERR_INTERNAL', 'unexpected tls.Server connection listeners');
    }
    this.#onConnection = listeners[0] as (this: tls.Server, socket: Duplex) => void;
  }

  /** Starts a server-side TLS handshake over `duplex`; events go to `events` only. */
  attach(duplex: Duplex, events: SessionTlsEvents): void {
    const view = Object.create(this.#server) as tls.Server;
    EventEmitter.call(view); // own listener table: the prototype's events are not shared
    view.on('secureConnection', (socket: tls.TLSSocket) => events.secure(socket));
    view.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => events.clientError(err, socket));
    this.#onConnection.call(view, duplex);
  }
}
