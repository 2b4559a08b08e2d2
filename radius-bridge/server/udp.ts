/**
 * UDP listeners: auth (1812) and accounting (1813) on every configured address, IPv4 and IPv6
 * (RFC 2865 §3, RFC 2866 §3), plus the unbound sockets the CoA client sends from (RFC 5176 §3).
 *
 * Rules:
 * - An IPv6 socket is IPv6-only, so the same port can also be bound on an IPv4 address.
 * - The NAS is looked up by source address before anything is parsed; unknown sources are
 *   discarded silently and counted (RFC 2865 §3).
 * - Replies go back to the source address and port of the request (RFC 2865 §3).
 * - A socket error is logged; it never crashes the process.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../platform/log.ts';
import type { CoaTransport } from '../coa/client.ts';
import type { PacketHandler, PortKind } from './handler.ts';
import type { RadiusMetrics } from './metrics.ts';
import type { NasTable } from './nas.ts';

export interface BoundAddress {
  kind: PortKind;
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

function bind(host: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket(isIPv6(host) ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

export class UdpListeners {
  readonly #sockets: Array<{ socket: dgram.Socket; kind: PortKind }> = [];

  constructor(private readonly deps: { handler: PacketHandler; nas: NasTable; metrics: RadiusMetrics; log: Logger }) {}

  async listen(hosts: readonly string[], ports: { auth: number; acct: number }): Promise<void> {
    for (const host of hosts) {
      for (const kind of ['auth', 'acct'] as const) {
        const socket = await bind(host, ports[kind]);
        socket.on('error', (err) => this.deps.log.error({ err, kind }, 'RADIUS socket error'));
        socket.on('message', (msg, rinfo) => this.#onMessage(socket, kind, msg, rinfo));
        this.#sockets.push({ socket, kind });
      }
    }
  }

  addresses(): BoundAddress[] {
    return this.#sockets.map(({ socket, kind }) => {
      const a = socket.address();
      return { kind, address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4', port: a.port };
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#sockets.splice(0).map(({ socket }) => new Promise<void>((r) => socket.close(() => r()))));
  }

  #onMessage(socket: dgram.Socket, kind: PortKind, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const nas = this.deps.nas.lookup(rinfo.address, 'udp');
    if (!nas) {
      this.deps.metrics.drop('unknown-nas');
      return;
    }
    void this.deps.handler
      .handle(msg, { nas, port: kind, source: `${rinfo.address}:${rinfo.port}`, address: rinfo.address })
      .then((reply) => {
        if (!reply) return;
        try {
          socket.send(reply, rinfo.port, rinfo.address);
        } catch (err) {
          this.deps.log.debug({ err }, 'RADIUS reply not sent (socket closed)');
        }
      });
  }
}

/** The CoA client's sockets: one IPv4 and one IPv6 (when the host has IPv6), ephemeral ports. */
export class UdpCoaTransport implements CoaTransport {
  #v4: dgram.Socket | undefined;
  #v6: dgram.Socket | undefined;
  #cb: ((packet: Buffer, from: { address: string; port: number }) => void) | undefined;

  async open(log: Logger): Promise<void> {
    this.#v4 = await bind('0.0.0.0', 0);
    this.#v6 = await bind('::', 0).catch(() => undefined);
    for (const s of [this.#v4, this.#v6]) {
      s?.on('message', (m, r) => this.#cb?.(m, { address: r.address, port: r.port }));
      s?.on('error', (err) => log.error({ err }, 'CoA socket error'));
    }
  }

  send(packet: Buffer, port: number, address: string): void {
    const s = isIPv6(address) ? this.#v6 : this.#v4;
    if (!s) throw new Error('no socket for this address family');
    s.send(packet, port, address);
  }

  onMessage(cb: (packet: Buffer, from: { address: string; port: number }) => void): void {
    this.#cb = cb;
  }

  async close(): Promise<void> {
    await Promise.all([this.#v4, this.#v6].map((s) => (s ? new Promise<void>((r) => s.close(() => r())) : undefined)));
    this.#v4 = this.#v6 = undefined;
  }
}
