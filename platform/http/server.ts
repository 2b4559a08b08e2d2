/**
 * HTTP(S) server factory with the timeouts every listener needs (slow-loris clients are cut),
 * a chain of routers, and a plain 404 when none matched. Never lets a handler crash the process.
 *
 * Rules:
 * - Timeouts are checked every connectionsCheckingInterval (<= 1 s and below the smallest
 *   timeout), not Node's default 30 s; a timed-out request is answered 408, a malformed one 400.
 * - A TLS-level client error (handshake timeout, garbage instead of a ClientHello) cannot be
 *   answered in HTTP: the socket is destroyed at once.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps, type ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';
import type { Router } from './router.ts';

export interface ServerTimeouts {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export function createHttpServer(
  routers: Router[],
  timeouts: ServerTimeouts,
  log: Logger,
  tls?: HttpsOptions,
): Server {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      for (const r of routers) if (await r.handle(req, res)) return;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    })().catch((e) => {
      log.error({ err: e }, 'unhandled request error');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      } else res.destroy();
    });
  };
  const check = Math.max(50, Math.min(1000, Math.floor(Math.min(timeouts.requestTimeoutMs, timeouts.headersTimeoutMs) / 2)));
  const base = {
    requestTimeout: timeouts.requestTimeoutMs,
    headersTimeout: timeouts.headersTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: check,
  };
  const server = tls ? createHttps({ handshakeTimeout: timeouts.headersTimeoutMs, ...base, ...tls }, handler) : createHttp(base, handler);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const code = err.code ?? '';
    if (!/^(HPE_|ERR_HTTP_)/.test(code) || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  if (tls) server.on('tlsClientError', (_err, socket) => socket.destroy());
  return server;
}

export async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((r) => server.close(() => r()));
}
