/**
 * The multi-process check that makes worker processes acceptable: revoking the client
 * certificate must close its live connections in EVERY broker process within 2 s (issue #5).
 * Run last (it revokes the benchmark's admin certificate).
 *
 * How: K keep-alive TLS connections (the cluster hands them to the workers round robin) each
 * get one 200 through the broker, and one WebSocket is opened; then `gatehouse cert revoke`
 * (a separate process, as an operator would) revokes the certificate. The time from the
 * revocation's own timestamp (revokedAt, from the command's JSON) to the last close is reported;
 * a fresh connection must then be refused with 'certificate-revoked'.
 */
import { connect, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { cliJson } from '../../test/helpers/cli.ts';
import { SESSION_COOKIE } from '../../ztna-broker/index.ts';
import { ROUTE_HOST, type BrokerFixture } from './setup.ts';

export interface RevocationResult {
  connections: number;
  /** ms from revokedAt to the last live connection (HTTP and WebSocket) closed; NaN if one stayed open. */
  closedWithinMs: number;
  refusedAfter: boolean;
}

function oneRequest(port: number, f: BrokerFixture, cookie: string): Promise<{ sock: TLSSocket; head: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port, servername: ROUTE_HOST, ca: f.caPem, cert: f.client.certPem, key: f.client.keyPem });
    let buf = '';
    sock.setEncoding('latin1');
    const onData = (d: string) => {
      buf += d;
      if (/\r\n\r\n/.test(buf) && /^HTTP\/1\.1 \d{3}/.test(buf)) {
        sock.off('data', onData);
        resolve({ sock, head: buf.slice(0, 12) });
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.once('secureConnect', () => sock.write(`GET / HTTP/1.1\r\nHost: ${ROUTE_HOST}\r\nCookie: ${cookie}\r\n\r\n`));
  });
}

const closed = (e: { once(ev: 'close', fn: () => void): unknown }): Promise<number> => new Promise((r) => e.once('close', () => r(Date.now())));

export async function revocationCheck(f: BrokerFixture, port: number, token: string, k = 8): Promise<RevocationResult> {
  const cookie = `${SESSION_COOKIE}=${token}`;
  const conns = await Promise.all(Array.from({ length: k }, () => oneRequest(port, f, cookie)));
  if (conns.some((c) => c.head !== 'HTTP/1.1 200')) throw new Error(`revocation check: a connection was not answered 200 (${conns.map((c) => c.head).join(', ')})`);
  // servername reaches tls.connect (ws passes its options through); the broker is SNI-agnostic.
  const opts: WebSocket.ClientOptions & { servername: string } = { headers: { host: ROUTE_HOST, cookie }, origin: `https://${ROUTE_HOST}:${port}`, ca: f.caPem, cert: f.client.certPem, key: f.client.keyPem, servername: ROUTE_HOST };
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, opts);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const closes = Promise.all([...conns.map((c) => closed(c.sock)), closed(ws)]);
  const out = await cliJson<{ revokedAt?: string }>([...f.pki.g, 'cert', 'revoke', f.client.serial, '--reason', 'keyCompromise'], f.pki.env);
  const revokedAt = out.revokedAt ? Date.parse(out.revokedAt) : Date.now();
  const last = await Promise.race([closes.then((t) => Math.max(...t)), new Promise<number>((r) => setTimeout(() => r(NaN), 10_000))]);
  for (const c of conns) c.sock.destroy();
  ws.terminate();
  const after = await oneRequest(port, f, cookie).catch(() => null);
  after?.sock.destroy();
  return { connections: k + 1, closedWithinMs: last - revokedAt, refusedAfter: after === null || after.head === 'HTTP/1.1 403' };
}
