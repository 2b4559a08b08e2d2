/**
 * A device console for the broker tests: HTTPS with a self-signed certificate (what cameras and
 * controllers ship with), an echo of what it received (method, path, headers), a console page
 * that opens a WebSocket, and a WebSocket echo (ws).
 *
 * Rules: the console reports exactly what reached it, so tests can assert what the broker
 * forwarded (stripped headers, the assertion, the normalized path) and what it did not.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TestCert } from './broker-certs.ts';

export interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface TestUpstream {
  port: number;
  server: Server;
  received: Received[];
  sockets: Set<WebSocket>;
  close(): Promise<void>;
}

const CONSOLE_PAGE = `<!doctype html><html><head><title>Camera console</title></head><body>
<h1 id="title">Camera console</h1><p id="ws-state">connecting</p><p id="echo"></p>
<script>
const ws = new WebSocket('wss://' + location.host + '/ws');
window.wsClosed = false;
ws.onopen = () => { document.getElementById('ws-state').textContent = 'open'; ws.send('ping-from-browser'); };
ws.onmessage = (e) => { document.getElementById('echo').textContent = e.data; };
ws.onclose = (e) => { window.wsClosed = true; document.getElementById('ws-state').textContent = 'closed ' + e.code; };
</script></body></html>`;

export async function startUpstream(cert: TestCert): Promise<TestUpstream> {
  const received: Received[] = [];
  const sockets = new Set<WebSocket>();
  const server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    req.resume();
    req.on('end', () => {
      if (req.url === '/slow') {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('slow');
        }, 300);
        return;
      }
      if (req.url === '/console') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(CONSOLE_PAGE);
      }
      if (req.url === '/set-cookies') {
        res.writeHead(200, { 'set-cookie': ['__Host-gatehouse-session=planted; Path=/; Secure', 'console-pref=dark; Path=/'], connection: 'x-secret-hop', 'x-secret-hop': '1', 'content-type': 'text/plain' });
        return res.end('cookies');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    received.push({ method: 'UPGRADE', url: req.url ?? '', headers: { ...req.headers } });
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data) => ws.send(`echo:${data.toString()}`));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    received,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
