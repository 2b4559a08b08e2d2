/**
 * A minimal browser for the broker tests: client certificate, per-host cookie jar (host-only
 * cookies, Max-Age=0 deletes), manual redirects, and host names mapped to loopback ports
 * (like curl --resolve), so the broker sees the real Host header and SNI.
 *
 * Rules: it never follows a redirect off the mapped hosts; every hop is recorded so tests can
 * assert where the broker tried to send the browser.
 */
import { request as httpsRequest, type Agent } from 'node:https';
import type { TestCert } from './broker-certs.ts';

export interface Hop {
  method: string;
  url: string;
  status: number;
  location: string | null;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  url: string;
}

export interface ClientOptions {
  cert?: TestCert | null;
  /** PEM trust anchors for server certificates. */
  ca: string;
  /** host name -> loopback port. */
  ports: Record<string, number>;
  agent?: Agent;
}

export class TestBrowser {
  readonly jar = new Map<string, Map<string, string>>();
  readonly hops: Hop[] = [];

  constructor(private readonly o: ClientOptions) {}

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name);
  }

  setCookie(host: string, name: string, value: string): void {
    const m = this.jar.get(host) ?? new Map<string, string>();
    m.set(name, value);
    this.jar.set(host, m);
  }

  private store(host: string, setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const [pair, ...attrs] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      if (eq < 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const m = this.jar.get(host) ?? new Map<string, string>();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') m.delete(name);
      else m.set(name, value);
      this.jar.set(host, m);
    }
  }

  async request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | URLSearchParams } = {}): Promise<Reply> {
    const u = new URL(url);
    const port = this.o.ports[u.hostname] ?? Number(u.port);
    const cookies = [...(this.jar.get(u.hostname) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    const headers: Record<string, string> = { host: u.host, ...(cookies ? { cookie: cookies } : {}), ...opts.headers };
    if (opts.body instanceof URLSearchParams) {
      body = opts.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else body = opts.body;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<Reply>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          servername: u.hostname,
          method: opts.method ?? 'GET',
          path: u.pathname + u.search,
          headers,
          ca: this.o.ca,
          ...(this.o.cert ? { cert: this.o.cert.chainPem, key: this.o.cert.keyPem } : {}),
          agent: this.o.agent ?? false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            this.store(u.hostname, res.headers['set-cookie']);
            const location = typeof res.headers.location === 'string' ? res.headers.location : null;
            this.hops.push({ method: opts.method ?? 'GET', url, status: res.statusCode ?? 0, location });
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), url });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Follows redirects (GET after 302/303) while they stay on mapped hosts. */
  async follow(url: string, opts: Parameters<TestBrowser['request']>[1] = {}, max = 20): Promise<Reply> {
    let r = await this.request(url, opts);
    for (let i = 0; i < max && r.status >= 300 && r.status < 400; i++) {
      const loc = r.headers.location;
      if (typeof loc !== 'string') break;
      const next = new URL(loc, r.url);
      if (this.o.ports[next.hostname] === undefined) break;
      r = await this.request(next.href, r.status === 307 || r.status === 308 ? opts : {});
    }
    return r;
  }
}

/** Extracts the value of an input/code element by id from a broker page. */
export function textById(html: string, id: string): string | null {
  const m = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html);
  return m ? m[1]!.replace(/&amp;/g, '&') : null;
}
