/**
 * One TLS server handshake per EAP session, driven byte-by-byte through an in-memory Duplex.
 *
 * Rules:
 * - The TLSSocket comes from an UNLISTENED `tls.createServer(opts)` via `server.emit('connection',
 *   duplex)`: only that path runs Node's server-side check of `verifyError()` and destroys an
 *   unauthorized socket. A bare `new tls.TLSSocket(duplex, { isServer: true, requestCert: true,
 *   rejectUnauthorized: true })` completes the handshake with a foreign certificate (PITFALLS.md).
 *   We additionally require `socket.authorized === true` before reporting success.
 * - requestCert + rejectUnauthorized with the configured CA list; TLS 1.2 minimum, 1.3 maximum.
 * - One SecureContext per engine, shared by its sessions through shared-server.ts (still Node's
 *   server path per session). No resumption: no session cache listeners, no internal cache,
 *   SSL_OP_NO_TICKET (TLS 1.3 still sends small stateful tickets that nothing can redeem). Every
 *   EAP-TLS authentication sees the client certificate (RFC 9190 §5.7 resumption caveats avoided).
 * - Output is what TLS writes after an input has been fully processed (duplex.ts settle(); late
 *   bytes are still collected on the next input).
 * - After the handshake, TLS 1.3 sends the one-octet 0x00 application-data commitment message
 *   (RFC 9190 §2.5). Keying material (RFC 5216 §2.3 / RFC 9190 §2.3) and the peer chain (raw DER,
 *   leaf first) are captured, then the socket can be destroyed.
 * - Failures: an OpenSSL handshake error yields the alert bytes TLS produced (to forward, RFC 5216
 *   §2.1.3); a JS-level rejection (unauthorized chain) yields none, since TLS 1.2 may already have
 *   queued its Finished. `destroy()` is idempotent and releases the socket and its handshake timer.
 */
import { constants as cryptoConstants, type KeyObject, type X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { AppError } from '../../platform/errors.ts';
import { EapDuplex } from './duplex.ts';
import { SharedTlsServer } from './shared-server.ts';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface EapTlsServerConfig {
  /** Server private key. node:tls needs PEM; a KeyObject is exported once at construction. */
  key: KeyObject | string | Buffer;
  /** Server certificate chain (PEM), leaf first. */
  cert: string | Buffer;
  /** Trusted issuing CA certificates (PEM) for client certificates. */
  ca: Array<string | Buffer>;
  /** Optional CRLs (PEM) checked by OpenSSL; live revocation is the caller's job regardless. */
  crl?: Array<string | Buffer>;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  ciphers?: string;
  sigalgs?: string;
  ecdhCurve?: string;
}

export interface TlsKeys {
  msk: Buffer;
  emsk: Buffer;
}

export type TlsStepState = 'handshaking' | 'established' | 'failed';

export interface TlsStep {
  state: TlsStepState;
  /** Bytes TLS wants sent to the peer (a failure's alert, or empty). */
  output: Buffer;
  /** Safe failure reason (OpenSSL error code or authorization error). */
  reason?: string;
}

/** RFC 5216 §2.3: TLS-PRF-128(master, "client EAP encryption", client.random || server.random). */
export const TLS12_KEY_LABEL = 'client EAP encryption';
/** RFC 9190 §2.3: TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", Type-Code 0x0D, 128). */
export const TLS13_KEY_LABEL = 'EXPORTER_EAP_TLS_Key_Material';
export const EAP_TLS_TYPE_CODE = Buffer.from([0x0d]);

/** Resolved server options, built once per engine (PEM conversion of KeyObject keys). */
export function resolveTlsServerOptions(cfg: EapTlsServerConfig): tls.TlsOptions {
  const key =
    typeof cfg.key === 'string' || Buffer.isBuffer(cfg.key)
      ? cfg.key
      : (cfg.key.export({ type: 'pkcs8', format: 'pem' }) as string);
  if (!cfg.ca.length) throw new AppError('ERR_CONFIG', 'EAP-TLS needs at least one trusted CA');
  return {
    key,
    cert: cfg.cert,
    ca: cfg.ca,
    crl: cfg.crl,
    minVersion: cfg.minVersion ?? 'TLSv1.2',
    maxVersion: cfg.maxVersion ?? 'TLSv1.3',
    ciphers: cfg.ciphers,
    sigalgs: cfg.sigalgs,
    ecdhCurve: cfg.ecdhCurve,
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
    sessionIdContext: 'gatehouse-eap-tls',
    requestCert: true,
    rejectUnauthorized: true,
  };
}

export class TlsServerSession {
  readonly #duplex = new EapDuplex();
  #socket: tls.TLSSocket | undefined;
  #secure = false;
  #failure: { reason: string; forwardOutput: boolean } | undefined;
  #destroyed = false;
  #committed = false;
  #feeding = false;
  #trusted: readonly X509Certificate[] = [];

  /**
   * `server`: the engine's shared server (shared-server.ts), or options from
   * resolveTlsServerOptions for a one-off server; handshakeTimeoutMs is a real-time backstop only.
   */
  constructor(server: SharedTlsServer | tls.TlsOptions, handshakeTimeoutMs: number) {
    const shared = server instanceof SharedTlsServer ? server : new SharedTlsServer(server, handshakeTimeoutMs);
    this.#trusted = shared.trusted;
    shared.attach(this.#duplex, {
      secure: (socket) => {
        this.#socket = socket;
        this.#duplex.activity++;
        socket.on('error', (err: Error) => this.#fail(errorReason(err), false));
        socket.on('close', () => this.#duplex.activity++);
        if (socket.authorized !== true) this.#fail(socket.authorizationError?.toString() ?? 'unauthorized', false);
        else this.#secure = true;
      },
      clientError: (err, socket) => {
        this.#socket = socket;
        const authErr = socket.authorizationError;
        if (authErr) this.#fail(String(authErr), false);
        else this.#fail(errorReason(err), true);
      },
    });
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  get established(): boolean {
    return this.#secure && !this.#failure;
  }

  /** Feeds one complete TLS message from the peer; returns what TLS answered. */
  async feed(input: Buffer): Promise<TlsStep> {
    if (this.#destroyed)
      return { state: 'failed', output: Buffer.alloc(0), reason: this.#failure?.reason ?? 'tls-session-closed' };
    this.#feeding = true;
    try {
      if (input.length) this.#duplex.push(input);
      await this.#duplex.settle();
      if (this.established && !this.#committed && this.version === 'TLSv1.3') {
        this.#committed = true;
        this.#socket!.write(Buffer.from([0x00])); // RFC 9190 §2.5 commitment message
        await this.#duplex.settle();
      }
    } finally {
      this.#feeding = false;
    }
    const output = this.#duplex.takeOutput();
    if (this.#failure) {
      return {
        state: 'failed',
        output: this.#failure.forwardOutput ? output : Buffer.alloc(0),
        reason: this.#failure.reason,
      };
    }
    return { state: this.#secure ? 'established' : 'handshaking', output };
  }

  /** Bytes TLS produced after the last feed() settled (normally none). */
  takeLateOutput(): Buffer {
    return this.#failure ? Buffer.alloc(0) : this.#duplex.takeOutput();
  }

  get version(): TlsVersion | undefined {
    const v = this.#socket?.getProtocol();
    return v === 'TLSv1.2' || v === 'TLSv1.3' ? v : undefined;
  }

  /** MSK/EMSK (RFC 5216 §2.3, RFC 9190 §2.3). Only after a successful handshake. */
  exportKeys(): TlsKeys {
    const socket = this.#requireEstablished();
    const km =
      this.version === 'TLSv1.3'
        ? socket.exportKeyingMaterial(128, TLS13_KEY_LABEL, EAP_TLS_TYPE_CODE)
        : // No context at all (not an empty one): RFC 5705 then equals the RFC 5216 PRF seed.
          socket.exportKeyingMaterial(128, TLS12_KEY_LABEL, undefined as unknown as Buffer);
    return { msk: Buffer.from(km.subarray(0, 64)), emsk: Buffer.from(km.subarray(64, 128)) };
  }

  /** Peer certificate chain as DER, leaf first, as verified by OpenSSL against the CA list. */
  peerChainDer(): Buffer[] {
    const socket = this.#requireEstablished();
    const chain: Buffer[] = [];
    // getPeerX509Certificate() is lazy; getPeerCertificate(true) turned every field of every
    // certificate into JS objects (~0.7 ms per authentication).
    let cert: X509Certificate | undefined = socket.getPeerX509Certificate();
    while (cert && chain.length < 16) {
      const der = cert.raw;
      if (chain.some((c) => c.equals(der))) break;
      chain.push(Buffer.from(der));
      const next: X509Certificate | undefined = cert.issuerCertificate;
      // Node stops at the certificates the peer sent; finish with the anchor OpenSSL used.
      cert = next ?? (cert.checkIssued(cert) ? undefined : this.#trusted.find((t) => cert!.checkIssued(t)));
    }
    if (!chain.length) throw new AppError('ERR_UNAUTHENTICATED', 'no client certificate');
    return chain;
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#socket?.destroy();
    this.#duplex.destroy();
    this.#duplex.chunks = [];
  }

  #requireEstablished(): tls.TLSSocket {
    if (!this.established || this.#destroyed || !this.#socket) {
      throw new AppError('ERR_INTERNAL', 'TLS handshake not established');
    }
    return this.#socket;
  }

  #fail(reason: string, forwardOutput: boolean): void {
    this.#duplex.activity++;
    this.#failure ??= { reason, forwardOutput };
    // Node leaves a socket reported through 'tlsClientError' to the listener. During feed() the
    // alert bytes are collected first and the owner destroys us; outside feed() (the handshake
    // timeout backstop) nobody is listening, so release everything now.
    if (!this.#feeding) this.destroy();
  }
}

function errorReason(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'tls-error';
}
