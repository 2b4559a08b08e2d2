/**
 * A ceiling for the broker (a separate process, started by servers.ts): the least a Node mTLS
 * reverse proxy can do — node:https with requestCert against the same CA (rejectUnauthorized:
 * true, so the handshake alone decides), and undici's Pool to the upstream with keep-alive,
 * small bodies read whole and written in one call, as the broker does. No certificate status,
 * session, policy, header sanitation, assertion or audit. What the broker costs above this is
 * the broker's own work; what this costs above nginx is Node's HTTP/TLS stack.
 * Usage: node --import tsx ceiling-proxy.ts <port> <upstream origin> <server cert> <server key> <ca>
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { Pool } from 'undici';

const [port, origin, certFile, keyFile, caFile] = process.argv.slice(2) as [string, string, string, string, string];
const pool = new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 4_000 });
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), ca: readFileSync(caFile), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] }, (req, res) => {
  pool
    .request({ path: req.url ?? '/', method: 'GET', headers: { host: origin.slice(7), 'x-client-subject': 'CN=bench' } })
    .then(async (up) => {
      const body = Buffer.from(await up.body.arrayBuffer());
      res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? ''), 'content-length': body.length });
      res.end(body);
    })
    .catch(() => {
      res.writeHead(502);
      res.end();
    });
});
server.keepAliveTimeout = 5_000;
server.on('secureConnection', (s) => s.setNoDelay(true));
server.listen(Number(port), '127.0.0.1', () => console.error(`ceiling proxy on 127.0.0.1:${port}`));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void pool.close().then(() => process.exit(0)));
});
