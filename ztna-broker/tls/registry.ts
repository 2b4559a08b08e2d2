/**
 * Live connections, indexed so that a revocation or a session kill can cut them.
 *
 * Rules enforced:
 * - Every TLS connection is indexed by its client certificate's serial at handshake time, and
 *   WebSocket tunnels additionally by their session id.
 * - On `cert.revoked` every connection presenting that serial is destroyed — keep-alive HTTP
 *   and WebSocket alike (TLS never re-checks a live connection) — and the TLS session ticket
 *   keys are rotated so no resumed session skips the next handshake's checks.
 * - A released hold (reason removeFromCRL) only invalidates cached answers.
 * - On `broker.session.killed` the session's WebSocket tunnels are destroyed (HTTP requests
 *   fail the session check on their own).
 * - A serial that matches under another issuer is cut too: closing more is safe.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { EventBus } from '../../platform/events.ts';
import type { Logger } from '../../platform/log.ts';
import { normalizeSerialHex } from './peer.ts';

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

export class ConnectionRegistry {
  private readonly bySerial = new Map<string, Set<TLSSocket>>();
  private readonly bySession = new Map<string, Set<Duplex>>();
  private readonly all = new Set<TLSSocket>();

  /** Indexes a freshly handshaken connection (call from 'secureConnection'). */
  track(socket: TLSSocket): void {
    this.all.add(socket);
    const peer = socket.getPeerCertificate(false);
    const serial = peer && typeof peer.serialNumber === 'string' ? normalizeSerialHex(peer.serialNumber) : null;
    if (serial !== null) addTo(this.bySerial, serial, socket);
    socket.once('close', () => {
      this.all.delete(socket);
      if (serial !== null) removeFrom(this.bySerial, serial, socket);
    });
  }

  /** Ties a tunnel (the client side of a WebSocket) to its session. */
  bindSession(sessionId: string, socket: Duplex): void {
    addTo(this.bySession, sessionId, socket);
    socket.once('close', () => removeFrom(this.bySession, sessionId, socket));
  }

  destroySerial(serial: string): number {
    const set = this.bySerial.get(normalizeSerialHex(serial));
    if (set === undefined) return 0;
    const n = set.size;
    for (const s of [...set]) s.destroy();
    return n;
  }

  destroySession(sessionId: string): number {
    const set = this.bySession.get(sessionId);
    if (set === undefined) return 0;
    const n = set.size;
    for (const s of [...set]) s.destroy();
    return n;
  }

  destroyAll(): void {
    for (const s of [...this.all]) s.destroy();
    for (const set of this.bySession.values()) for (const s of [...set]) s.destroy();
  }

  get size(): number {
    return this.all.size;
  }
}

export interface RevocationWiring {
  bus: EventBus;
  server: TlsServer;
  registry: ConnectionRegistry;
  log: Logger;
  onInvalidate(): void;
  onSessionKilled(sessionId: string): void;
}

/** Subscribes the broker to revocation, resync and kill events; returns the unsubscribe. */
export function wireRevocation(w: RevocationWiring): () => void {
  const offs = [
    w.bus.subscribe('cert.revoked', (e) => {
      w.onInvalidate();
      if (e.reason === 'removeFromCRL') return;
      const closed = w.registry.destroySerial(e.serial);
      w.server.setTicketKeys(randomBytes(48));
      w.log.info({ serial: e.serial, issuerId: e.issuerId, closed }, 'certificate revoked: connections closed, ticket keys rotated');
    }),
    w.bus.subscribe('bus.resync', () => {
      w.onInvalidate();
      w.server.setTicketKeys(randomBytes(48));
    }),
    w.bus.subscribe('broker.session.killed', (e) => {
      w.onSessionKilled(e.sessionId);
      w.registry.destroySession(e.sessionId);
    }),
  ];
  return () => offs.forEach((off) => off());
}
