/**
 * The HTTP ceiling for the OCSP table (started by servers.ts, never imported): a bare Node
 * http.Server on 127.0.0.1:<argv[2]> that reads each request (GET or POST body) and answers a
 * fixed body of argv[3] bytes (default 1 KiB) as `application/ocsp-response` with keep-alive — no parsing, no lookup, no
 * signature. Whatever OCSP server runs under the same load generator on the same cores cannot
 * be faster than this by much; a cached OCSP answer is measured against it as a physical limit.
 * Exits on SIGTERM.
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const bytes = Number(process.argv[3] ?? 1024);
if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(bytes) || bytes < 0) {
  console.error('usage: ceiling-server.ts <port> [body bytes]');
  process.exit(2);
}

const body = Buffer.alloc(bytes, 0x30);
const headers = ['content-type', 'application/ocsp-response', 'content-length', String(body.length)];

// answers served, printed at exit: a cross-check of the load generator's own count
let served = 0;

const answer = (res: import('node:http').ServerResponse): void => {
  served++;
  res.writeHead(200, headers);
  res.end(body);
};

const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  if (req.method === 'POST') {
    req.on('data', () => undefined);
    req.once('end', () => answer(res));
    return;
  }
  answer(res);
});

server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));

const stop = (): void => {
  console.log(`served ${served} answers`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

// Answer size: a P-256 delegated-responder OCSP response with its certificate is ~1 KiB, so the
// default ceiling moves about the same number of bytes per answer as the servers it bounds.
