/**
 * One answer of each side checked before anything is measured, so a fast refusal is never
 * reported as throughput:
 * - broker, client certificate + session cookie: 200 and the 1 KiB body; the upstream saw the
 *   ES256 assertion (verified with jose against the broker's JWKS, audience = the console
 *   origin, cnf bound to the client certificate) and no cookie;
 * - broker without the cookie: not forwarded (302 to the broker login); without a client
 *   certificate: 403 page;
 * - nginx with the certificate: 200 and 1 KiB; without: 400 (ssl_verify_client on);
 * - the upstream directly: 200 and 1 KiB.
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { JWKS_PATH, SESSION_COOKIE } from '../../ztna-broker/index.ts';
import { log } from '../lib/proc.ts';
import { BROKER_HOST, ROUTE_HOST, type BrokerFixture } from './setup.ts';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, unknown>;
}

function get(url: string, o: { host?: string; cookie?: string; cert?: boolean; f?: BrokerFixture; servername?: string }): Promise<Reply> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (o.host) headers.host = o.host;
  if (o.cookie) headers.cookie = o.cookie;
  const tls = o.f ? { ca: o.f.caPem, servername: o.servername ?? ROUTE_HOST, ...(o.cert ? { cert: o.f.client.certPem, key: o.f.client.keyPem } : {}) } : {};
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(url, { headers, agent: false, ...tls });
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function expect(what: string, r: Reply, status: number, bytes?: number): void {
  if (r.status !== status || (bytes !== undefined && r.body.length !== bytes)) throw new Error(`${what}: HTTP ${r.status}, ${r.body.length} bytes (expected ${status}${bytes !== undefined ? `, ${bytes} bytes` : ''}): ${r.body.slice(0, 300)}`);
}

export async function checkSides(f: BrokerFixture, broker: { url: string; port: number }, nginx: { url: string } | null, upstreamUrl: string, token: string): Promise<void> {
  const cookie = `${SESSION_COOKIE}=${token}`;
  expect('broker GET / (cert + session)', await get(`${broker.url}/`, { host: ROUTE_HOST, cookie, cert: true, f }), 200, 1024);
  const seen = await get(`${broker.url}/headers`, { host: ROUTE_HOST, cookie, cert: true, f });
  expect('broker GET /headers', seen, 200);
  const h = JSON.parse(seen.body) as Record<string, string>;
  if (h.cookie !== undefined) throw new Error('broker forwarded the cookie header to the upstream');
  const jwt = h['x-gatehouse-assertion'];
  if (!jwt) throw new Error('broker did not add the assertion header');
  const jwks = await get(`${broker.url}${JWKS_PATH}`, { host: BROKER_HOST, cert: true, f, servername: BROKER_HOST });
  expect('broker JWKS', jwks, 200);
  const aud = `https://${ROUTE_HOST}:${broker.port}`;
  const { payload } = await jwtVerify(jwt, createLocalJWKSet(JSON.parse(jwks.body) as { keys: [] }), { audience: aud, issuer: `https://${BROKER_HOST}:${broker.port}` });
  const x5t = Buffer.from(f.client.fingerprint, 'hex').toString('base64url');
  if ((payload.cnf as Record<string, string> | undefined)?.['x5t#S256'] !== x5t) throw new Error('assertion is not bound to the client certificate');
  expect('broker GET / without the session cookie', await get(`${broker.url}/`, { host: ROUTE_HOST, cert: true, f }), 302);
  expect('broker GET / without a client certificate', await get(`${broker.url}/`, { host: ROUTE_HOST, cookie, f }), 403);
  log(`  checked broker: 200 + 1 KiB with cert + session; assertion verified (aud ${aud}, amr ${JSON.stringify(payload.amr)}, cnf = client cert); no cookie upstream; 302 without session, 403 without cert`);
  if (nginx) {
    expect('nginx GET / (cert)', await get(`${nginx.url}/`, { cert: true, f }), 200, 1024);
    expect('nginx GET / without a client certificate', await get(`${nginx.url}/`, { f }), 400);
    log('  checked nginx: 200 + 1 KiB with cert, 400 without');
  }
  expect('upstream GET /', await get(`${upstreamUrl}/`, {}), 200, 1024);
}
