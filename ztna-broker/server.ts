/**
 * The broker's HTTPS listener: client certificates requested, Host-header routing, upgrades.
 *
 * Rules enforced:
 * - requestCert with our CA as the only trust anchors; rejectUnauthorized is false ONLY so that
 *   a missing, foreign or expired certificate gets a clear denial page — every handler checks
 *   `socket.authorized` and live revocation (tls/peer.ts) before doing anything (JWKS and static
 *   assets excepted), and nothing is proxied without a verified chain.
 * - TLS 1.2+ only, HTTP/1.1 (ALPN), session tickets with keys rotated on every revocation and
 *   bus resync (tls/registry.ts).
 * - Routing is by Host header (SNI-agnostic): the broker host, a route host from the policy, or
 *   421 for anything else. A request whose Host is missing or malformed is refused.
 * - Every TLS connection is registered so revocations and kills can cut it; slow clients are
 *   bounded by header/request timeouts; a handler failure never crashes the process.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { handleBrokerHost, servePublic } from './app/broker-host.ts';
import { sendDenied } from './app/common.ts';
import { handleRouteHost, handleRouteUpgrade } from './app/route-host.ts';
import type { BrokerContext } from './context.ts';
import { rejectUpgrade } from './proxy/websocket.ts';
import { hostOf } from './web/request.ts';

export interface BrokerTls {
  key: string | Buffer;
  cert: string | Buffer;
  /** Trust anchors for client certificates (default: the CA's chain). */
  ca: Array<string | Buffer>;
}

async function dispatch(b: BrokerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const host = hostOf(req);
  if (host === null) return sendDenied({ b, req, res }, 400, ['host-invalid'], { title: 'Bad request' });
  if (host === b.brokerHost) return handleBrokerHost(b, req, res);
  const route = b.policy().routesByHost.get(host);
  if (route === undefined) {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (servePublic(b, req, res, path, false)) return;
    return sendDenied({ b, req, res }, 421, ['unknown-host'], { title: 'Unknown host' });
  }
  return handleRouteHost(b, req, res, route, host);
}

async function upgrade(b: BrokerContext, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const host = hostOf(req);
  const route = host === null ? undefined : b.policy().routesByHost.get(host);
  if (host === null || route === undefined) return rejectUpgrade(socket, 404, 'unknown-host');
  await handleRouteUpgrade(b, req, socket, head, route, host);
}

export function createBrokerServer(b: BrokerContext, tls: BrokerTls): Server {
  const server = createServer(
    {
      key: tls.key,
      cert: tls.cert,
      ca: tls.ca,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
    },
    (req, res) => {
      dispatch(b, req, res).catch((e) => {
        b.log.error({ err: e }, 'broker request failed');
        if (!res.headersSent) sendDenied({ b, req, res }, 500, ['internal-error'], { title: 'Error' });
        else res.destroy();
      });
    },
  );
  server.headersTimeout = 10_000;
  server.requestTimeout = 300_000;
  server.keepAliveTimeout = 5_000;
  server.on('secureConnection', (s: TLSSocket) => {
    // Node's TLS server leaves Nagle on: proxied header + body writes would wait for delayed ACKs.
    s.setNoDelay(true);
    // The certificate a connection presented must stay the one checked (tls/peer.ts caches it).
    s.disableRenegotiation();
    b.registry.track(s);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    upgrade(b, req, socket, head).catch((e) => {
      b.log.error({ err: e }, 'broker upgrade failed');
      rejectUpgrade(socket, 500, 'internal-error');
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.on('tlsClientError', () => undefined);
  return server;
}
