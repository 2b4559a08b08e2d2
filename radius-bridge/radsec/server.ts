/**
 * RadSec listener (RFC 6614): RADIUS over TLS over TCP, port 2083, NAS client certificates from
 * our CA.
 *
 * Rules:
 * - TLS 1.2+ with requestCert + rejectUnauthorized against our CA certificates (RFC 6614 §2.3:
 *   mutual authentication); the server presents the radius-server certificate.
 * - After the handshake the peer must also be a configured RadSec client (address/CIDR with
 *   transport radsec), its certificate's live status must be good (ca.statusOfCert; revoked or
 *   unknown -> close), and, when the client names one, its commonName or a DNS SAN must equal
 *   `certName`. Until then nothing from the stream is processed (the socket is paused).
 * - Packets go through the same handler as UDP, with the shared
 *   secret "radsec" (RFC 6614 §2.3); replies are written to the same connection.
 * - Framing (RFC 6614 §2.3-§2.5): each packet's own Length (20..4096, RFC 2865 §3) delimits it on the
 *   stream; a bad Length cannot be resynchronised, so the connection is closed (counted). At most
 *   one partial packet is buffered per connection. Idle connections close after `idleTimeoutMs`.
 */
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { CertificateAuthority } from '../../ca/index.ts';
import type { Logger } from '../../platform/log.ts';
import type { PacketHandler } from '../server/handler.ts';
import type { RadiusMetrics } from '../server/metrics.ts';
import type { NasClient, NasTable } from '../server/nas.ts';
import { AppError } from '../../platform/errors.ts';

export interface RadsecDeps {
  handler: PacketHandler;
  nas: NasTable;
  ca: CertificateAuthority;
  tls: { key: string | Buffer; cert: string | Buffer; ca: Array<string | Buffer> };
  metrics: RadiusMetrics;
  log: Logger;
  idleTimeoutMs: number;
}

export function certNameMatches(der: Buffer, name: string): boolean {
  const x = new X509Certificate(der);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1];
  if (cn === name) return true;
  const sans = (x.subjectAltName ?? '').split(', ');
  return sans.some((s) => s.toLowerCase() === `dns:${name.toLowerCase()}`);
}

export class RadsecServer {
  readonly #server: tls.Server;
  readonly #sockets = new Set<tls.TLSSocket>();

  constructor(private readonly deps: RadsecDeps) {
    this.#server = tls.createServer({
      key: deps.tls.key,
      cert: deps.tls.cert,
      ca: deps.tls.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
    this.#server.on('secureConnection', (s) => void this.#onConnection(s));
    this.#server.on('tlsClientError', (err) => deps.log.debug({ err }, 'RadSec handshake failed'));
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  address(): AddressInfo | null {
    const a = this.#server.address();
    return a && typeof a === 'object' ? a : null;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  async #admit(socket: tls.TLSSocket): Promise<NasClient | null> {
    const nas = this.deps.nas.lookup(socket.remoteAddress ?? '', 'radsec');
    if (!nas) return null;
    const der = socket.getPeerCertificate(false)?.raw;
    if (!der) return null;
    const status = await this.deps.ca.statusOfCert(Buffer.from(der)).catch(() => ({ state: 'unknown' as const }));
    if (status.state !== 'good') {
      this.deps.log.warn({ nas: nas.name, status: status.state }, 'RadSec client certificate refused');
      return null;
    }
    if (nas.certName && !certNameMatches(Buffer.from(der), nas.certName)) {
      this.deps.log.warn({ nas: nas.name }, 'RadSec client certificate name mismatch');
      return null;
    }
    return nas;
  }

  async #onConnection(socket: tls.TLSSocket): Promise<void> {
    socket.pause();
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.deps.idleTimeoutMs, () => socket.destroy());
    const nas = await this.#admit(socket);
    if (!nas) {
      this.deps.metrics.drop('unknown-nas');
      socket.destroy();
      return;
    }
    const framer = new RadsecFramer();
    const address = socket.remoteAddress ?? '';
    const source = `${address}:${socket.remotePort ?? 0}`;
    socket.on('data', (chunk: Buffer) => {
      let packets: Buffer[];
      try {
        packets = framer.push(chunk);
      } catch {
        this.deps.metrics.drop('radsec-framing');
        socket.destroy();
        return;
      }
      for (const p of packets) {
        void this.deps.handler.handle(p, { nas, port: 'radsec', source, address }).then((reply) => {
          if (reply && !socket.destroyed) socket.write(reply);
        });
      }
    });
    socket.resume();
  }
}

const MIN = 20;
const MAX = 4096;

/** Splits the TLS byte stream into RADIUS packets. */
export class RadsecFramer {
  #buf: Buffer = Buffer.alloc(0);

  /** Adds received octets; returns the complete packets (each its own Buffer). */
  push(chunk: Buffer): Buffer[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.#buf.length >= 4) {
      const len = this.#buf.readUInt16BE(2);
      if (len < MIN || len > MAX) {
        this.#buf = Buffer.alloc(0);
        throw new AppError('ERR_RADIUS_MALFORMED', `RadSec record Length ${len} outside 20..4096`);
      }
      if (this.#buf.length < len) break;
      out.push(Buffer.from(this.#buf.subarray(0, len)));
      this.#buf = this.#buf.subarray(len);
    }
    return out;
  }

  get buffered(): number {
    return this.#buf.length;
  }
}
