/**
 * A small EST client over node:tls for tests: one TLS connection, the channel binding a real
 * client computes on its side (RFC 5929 tls-unique = the first Finished of the handshake: ours
 * on a full TLS 1.2 handshake; RFC 9266 tls-exporter for TLS 1.3), then HTTP/1.1 requests on
 * that same connection.
 */
import { request } from 'node:http';
import { connect, type TLSSocket } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import { toPem } from '../../ca/asn1/index.ts';

export interface EstConnOptions {
  port: number;
  ca: string;
  version?: 'TLSv1.2' | 'TLSv1.3';
  cert?: Buffer[];
  key?: KeyObject;
}

export interface EstReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function estConnect(o: EstConnOptions): Promise<TLSSocket> {
  const sock = connect({
    host: '127.0.0.1',
    servername: 'localhost',
    port: o.port,
    ca: o.ca,
    ...(o.version ? { minVersion: o.version, maxVersion: o.version } : {}),
    ...(o.cert
      ? {
          cert: o.cert.map((d) => toPem('CERTIFICATE', d)).join(''),
          key: o.key!.export({ type: 'pkcs8', format: 'pem' }),
        }
      : {}),
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('secureConnect', resolve);
    sock.once('error', reject);
  });
  return sock;
}

/** The client's view of the channel binding (equal to the server's). */
export function clientBinding(sock: TLSSocket): Buffer {
  if (sock.getProtocol() === 'TLSv1.3')
    return sock.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  const f = sock.isSessionReused() ? sock.getPeerFinished() : sock.getFinished();
  if (!f) throw new Error('no Finished message');
  return f;
}

/** One HTTP/1.1 request on an established TLS socket (`Connection: close`: one request per socket). */
export function estRequest(
  sock: TLSSocket,
  path: string,
  o: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<EstReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        createConnection: () => sock,
        host: 'localhost',
        path,
        method: o.method ?? (o.body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(o.body !== undefined
            ? { 'content-type': 'application/pkcs10', 'content-length': String(Buffer.byteLength(o.body)) }
            : {}),
          ...o.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('latin1'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

export const basicAuth = (token: string, user = ''): string =>
  `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

/** Resolves when the server closes the socket (or rejects after `ms`). */
export function closedWithin(sock: { once(ev: 'close', f: () => void): unknown }, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    sock.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Connect, one request, done. */
export async function estCall(
  o: EstConnOptions,
  path: string,
  r: Parameters<typeof estRequest>[2] = {},
): Promise<EstReply> {
  const sock = await estConnect(o);
  try {
    return await estRequest(sock, path, r);
  } finally {
    sock.destroy();
  }
}
