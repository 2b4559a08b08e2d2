/** A tiny HTTPS JSON client for the admin API with an admin client certificate (mutual TLS). */
import { Agent, request } from 'node:https';

export interface AdminClient {
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): void;
}

export function adminClient(base: string, tls: { ca: string; cert: string; key: string }): AdminClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca: tls.ca, cert: tls.cert, key: tls.key, servername: 'localhost' });
  return {
    call(method, path, body) {
      return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = request(new URL(path, base), { method, agent, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as never });
          });
        });
        req.on('error', reject);
        req.end(data);
      });
    },
    close: () => agent.destroy(),
  };
}
