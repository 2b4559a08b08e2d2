/**
 * EST HTTP adapter: paths, methods, body limits and TLS facts -> the pure handlers.
 *
 * Rules enforced:
 * - RFC 7030 §3.2.2: `/.well-known/est/<op>` and `/.well-known/est/<label>/<op>`; the label is
 *   one path segment of [A-Za-z0-9_-]{1,64} (the config's label syntax); anything else is 404.
 * - Methods (§4.1.1, §4.2, §4.4.1, §4.5.1): GET cacerts and csrattrs, POST simpleenroll,
 *   simplereenroll and serverkeygen; another method is 405 with Allow (HEAD answers as GET).
 * - The body is read with platform/http readBody: a declared Content-Length above
 *   est.maxBodyBytes is 413 before one byte is buffered, a chunked body is cut the moment it
 *   passes the limit; the 413 closes the connection. Stalled clients are cut by server.ts.
 * - §3.3.2: the client chain is taken from the TLS socket and handed on only with
 *   `socket.authorized` (node verified it against our chain + IDevID anchors); the channel
 *   binding (auth.ts) and both are computed once per connection (keep-alive reuses them).
 * - Every response is `Cache-Control: no-store` (certificates, keys and errors are per request).
 * - Metrics gatehouse_est_requests_total{op,status} and gatehouse_est_request_seconds{op};
 *   failures are logged with their code, never with the token, CSR or key.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { readBody, Router } from '../../platform/http/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/log.ts';
import { counter, histogram, type Registry } from '../../platform/metrics.ts';
import { channelBindingOf, parseBasic } from './auth.ts';
import { estErrorResponse } from './errors.ts';
import { EST_OPERATIONS, type EstHandlers, type EstOperation } from './handlers.ts';
import type { EstAuth, EstResponse } from './wire.ts';

export const EST_PREFIX = '/.well-known/est';
const LABEL = /^[A-Za-z0-9_-]{1,64}$/;

export interface EstRouterOptions {
  handlers: EstHandlers;
  maxBodyBytes: number;
  log: Logger;
  metrics?: Registry | undefined;
}

interface TlsFacts {
  chain?: Buffer[];
  authorized: boolean;
  binding?: Buffer;
}

const perSocket = new WeakMap<object, TlsFacts>();

/** Peer chain as sent (+ the anchor node found), leaf first; facts cached per connection. */
function tlsFacts(socket: TLSSocket): TlsFacts {
  const cached = perSocket.get(socket);
  if (cached) return cached;
  const facts: TlsFacts = { authorized: socket.authorized === true };
  if (typeof socket.getPeerCertificate === 'function') {
    const chain: Buffer[] = [];
    let c = socket.getPeerCertificate(true);
    while (c?.raw && chain.length < 10) {
      chain.push(c.raw);
      if (!c.issuerCertificate || c.issuerCertificate === c || c.issuerCertificate.fingerprint256 === c.fingerprint256)
        break;
      c = c.issuerCertificate;
    }
    if (chain.length) facts.chain = chain;
    const b = channelBindingOf(socket);
    if (b) facts.binding = b;
  }
  perSocket.set(socket, facts);
  return facts;
}

function parsePath(rest: string): { op: EstOperation; label?: string } | null {
  const parts = rest.split('/');
  const op = parts.pop() as EstOperation;
  if (!Object.hasOwn(EST_OPERATIONS, op) || parts.length > 1) return null;
  const label = parts[0];
  if (label !== undefined && !LABEL.test(label)) return null;
  return label === undefined ? { op } : { op, label };
}

function send(res: ServerResponse, r: EstResponse): void {
  // a Content-Length (not chunked): constrained EST clients read the body in one go
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  res.writeHead(r.status, { ...r.headers, 'cache-control': 'no-store', 'content-length': body.length });
  res.end(body);
}

export function createEstRouter(o: EstRouterOptions): Router {
  const requests =
    o.metrics &&
    counter(o.metrics, 'gatehouse_est_requests_total', 'EST requests by operation and HTTP status', ['op', 'status']);
  const seconds =
    o.metrics &&
    histogram(
      o.metrics,
      'gatehouse_est_request_seconds',
      'EST request duration',
      ['op'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    );
  const finish = (op: string, res: ServerResponse, r: EstResponse, started: bigint) => {
    send(res, r);
    requests?.inc({ op, status: String(r.status) });
    seconds?.observe({ op }, Number(process.hrtime.bigint() - started) / 1e9);
  };

  const router = new Router((err, req, res) => {
    const { response } = estErrorResponse(err);
    if (response.status >= 500) o.log.error({ err, url: req.url }, 'EST request failed');
    send(res, response);
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, ctx: { rest: string }) => {
    const started = process.hrtime.bigint();
    const route = parsePath(ctx.rest);
    if (!route)
      return finish(
        'unknown',
        res,
        estErrorResponse(new AppError('ERR_NOT_FOUND', 'no such EST operation')).response,
        started,
      );
    const method = EST_OPERATIONS[route.op];
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      return finish(
        route.op,
        res,
        {
          status: 405,
          headers: { allow: method === 'GET' ? 'GET, HEAD' : 'POST', 'content-type': 'text/plain' },
          body: 'method not allowed\n',
        },
        started,
      );
    }
    let body: Buffer = Buffer.alloc(0);
    if (method === 'POST') {
      try {
        body = await readBody(req, o.maxBodyBytes);
      } catch (e) {
        return finish(route.op, res, estErrorResponse(e).response, started);
      }
    }
    const facts = tlsFacts(req.socket as TLSSocket);
    const auth: EstAuth = {
      clientChain: facts.chain,
      tlsAuthorized: facts.authorized,
      basic: parseBasic(req.headers.authorization),
      channelBinding: facts.binding,
    };
    const r = await o.handlers[route.op]({
      body,
      contentType: req.headers['content-type'],
      auth,
      label: route.label,
      peer: req.socket.remoteAddress ?? 'unknown',
    });
    finish(route.op, res, r, started);
  };
  return router.prefix(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'], EST_PREFIX, handle);
}

/** For handlers' onError: log denials at info, bugs at error. */
export function logEstFailure(log: Logger) {
  return (op: string, err: AppError, req: { peer: string; label?: string | undefined }) => {
    const fields = { op, code: err.code, peer: req.peer, label: req.label };
    if (err.code === 'ERR_INTERNAL') log.error({ ...fields, err: err.cause ?? err }, 'EST operation failed');
    else log.info(fields, `EST ${op} refused: ${err.message}`);
  };
}
