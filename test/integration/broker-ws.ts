/**
 * WebSocket client for the broker tests (ws), connecting to a mapped host on loopback with a
 * client certificate, a cookie and an Origin, and reporting how the upgrade ended.
 *
 * Rules: the outcome is data — opened (with the socket) or refused (with the HTTP status and
 * body the broker answered) — so tests assert on refusals without catching errors.
 */
import WebSocket from 'ws';
import type { LookupFunction } from 'node:net';
import type { TestCert } from './broker-certs.ts';
import type { World } from './broker-harness.ts';

export type WsOutcome = { open: true; ws: WebSocket } | { open: false; status: number; body: string };

const loopback: LookupFunction = (_host, opts, cb) => {
  if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
};

export function openWs(w: World, o: { host: string; path: string; cert: TestCert | null; cookie?: string; origin?: string | null }): Promise<WsOutcome> {
  const headers: Record<string, string> = {};
  if (o.cookie) headers.cookie = o.cookie;
  const ws = new WebSocket(`wss://${o.host}:${w.port}${o.path}`, {
    ca: w.caPem,
    ...(o.cert ? { cert: o.cert.chainPem, key: o.cert.keyPem } : {}),
    ...(o.origin === null ? {} : { origin: o.origin ?? w.origin(o.host) }),
    headers,
    lookup: loopback,
    handshakeTimeout: 5_000,
  });
  return new Promise<WsOutcome>((resolve) => {
    ws.once('open', () => resolve({ open: true, ws }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ open: false, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    ws.once('error', (e) => resolve({ open: false, status: 0, body: e.message }));
  });
}

export function echo(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (d) => resolve(d.toString()));
    ws.once('error', reject);
    ws.send(text);
  });
}
