/**
 * An HTTP CONNECT proxy that maps test host names to loopback ports, so a real browser can use
 * `broker.gatehouse.test`, `cam.gatehouse.test` ... with their real names (Host header, SNI,
 * cookies, WebAuthn RP ID) without touching /etc/hosts or DNS.
 *
 * Rules: only CONNECT to a mapped host:port is tunnelled (to 127.0.0.1:port); anything else gets
 * 403; the proxy never sees plaintext (TLS runs end to end inside the tunnel).
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ConnectProxy {
  url: string;
  server: Server;
  tunnels: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(ports: Record<string, number>): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req, client, head) => {
    const m = /^([a-z0-9.-]+):(\d+)$/.exec(req.url ?? '');
    const port = m ? ports[m[1]!] : undefined;
    if (!m || port === undefined || Number(m[2]) !== port) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    tunnels.push(req.url ?? '');
    const up = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    const end = () => {
      up.destroy();
      client.destroy();
    };
    up.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    tunnels,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
