/**
 * The console every side of the broker benchmark reaches: a tiny Node HTTP/1.1 server on
 * 127.0.0.1 (a separate process, started by servers.ts) that answers every request with 200 and
 * a fixed 1 KiB body, keep-alive, and echoes WebSocket messages (ws, already a dependency).
 *
 * Rules: loopback only; no per-request work beyond the answer, so that the three sides (broker,
 * nginx, direct) differ only by the proxy in front. GET /headers (used once by the functional
 * check, never under load) answers the request headers it received as JSON, so the bench can
 * verify what the broker forwarded (assertion present, cookie stripped).
 * Usage: node --import tsx upstream.ts <port>
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const body = Buffer.alloc(1024, 'x');
const server = createServer((req, res) => {
  if (req.url === '/headers') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify(req.headers));
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
});
server.listen(port, '127.0.0.1', () => console.error(`upstream on 127.0.0.1:${port}`));
process.on('SIGTERM', () => {
  for (const c of wss.clients) c.terminate();
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
