/**
 * OCSP over HTTP (RFC 6960 Appendix A, RFC 5019 §5–§6): a thin adapter over OcspResponder.
 *
 * Rules enforced:
 * - POST <base> and anything below it (clients post to the AIA URL as written, with or without a
 *   trailing slash), body = DER request, Content-Type application/ocsp-request (§A.1.1).
 * - GET <base>/<url-encoded base64 DER> (§A.1.1, RFC 5019 §5); decoding quirks in request.ts.
 * - Protocol errors — wrong or missing Content-Type, a body over the limit, bad base64, bad DER,
 *   unknown issuer, store unavailable — are answered as OCSP error responses with HTTP 200
 *   (RFC 5019 §2.2.3: error statuses are OCSP responses; clients read the body, not the HTTP
 *   code). Only routing errors (405 wrong method, 404 elsewhere) use HTTP statuses.
 * - The body limit applies before buffering: a declared Content-Length over it is answered at
 *   once, a chunked body is cut the moment it passes it; both close the connection.
 * - Cacheable responses (pre-signed, no nonce) carry RFC 5019 §6.2 headers: Cache-Control
 *   `max-age=<seconds until nextUpdate>, public, no-transform, must-revalidate`, Last-Modified
 *   (thisUpdate), Expires (nextUpdate), ETag; a GET with a matching If-None-Match gets 304.
 *   Nonce and error responses carry no caching headers.
 * - Every response is `Content-Type: application/ocsp-response` with an explicit Content-Length.
 * Speed: `POST|GET <base>` in origin form skips URL parsing (OcspRouter.handle); a repeated
 * request is answered from responder.lookup() synchronously, in the body's 'end' callback, with
 * header values computed once per cached response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type ErrorMapper } from '../../platform/http/index.ts';
import { toAppError } from '../../platform/errors.ts';
import { ocspStatusOf } from './errors.ts';
import { decodeGetPath, OCSP_MAX_REQUEST_BYTES } from './request.ts';
import { getKey, postKey } from './request-memo.ts';
import type { OcspResponder, OcspResult } from './responder.ts';
import { errorResponse, type OcspErrorStatus } from './response.ts';

export interface OcspRouterOptions {
  /** URL path of the responder (default '/ocsp'); the AIA extension must point here. */
  path?: string;
  /** Largest POST body accepted (default and maximum 64 KiB). */
  maxBodyBytes?: number;
  /** Sign live and echo nonces (default true); false serves only pre-signed responses. */
  nonceAllowed?: boolean;
}

const CT = 'content-type';
const OCSP_RESPONSE = 'application/ocsp-response';
const OCSP_REQUEST = 'application/ocsp-request';

export function createOcspRouter(responder: OcspResponder, opts: OcspRouterOptions = {}): Router {
  const base = (opts.path ?? '/ocsp').replace(/\/+$/, '') || '/';
  const limit = Math.min(opts.maxBodyBytes ?? OCSP_MAX_REQUEST_BYTES, OCSP_MAX_REQUEST_BYTES);
  const router = new OcspRouter(responder, base, limit, opts.nonceAllowed !== false);
  router.prefix('POST', base, (req, res) => router.post(req, res));
  router.prefix('GET', base, (req, res, ctx) => router.get(req, res, ctx.rest));
  return router;
}

/**
 * The platform Router plus a fast path: `POST|GET <base>[/...]` in origin form is dispatched
 * without building a URL; everything else (other methods -> 405, absolute-form targets, other
 * paths) goes through Router.handle unchanged.
 */
class OcspRouter extends Router {
  constructor(
    private readonly responder: OcspResponder,
    private readonly base: string,
    private readonly limit: number,
    private readonly nonceAllowed: boolean,
  ) {
    super(mapError);
  }

  override async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? '';
    const method = req.method;
    const b = this.base;
    const next = url.charCodeAt(b.length);
    if (
      (method !== 'POST' && method !== 'GET') ||
      !url.startsWith(b) ||
      !(url.length === b.length || next === 0x2f || next === 0x3f)
    ) {
      return super.handle(req, res);
    }
    if (method === 'POST') this.post(req, res);
    else {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      this.get(req, res, path.length > b.length ? path.slice(b.length + 1) : '');
    }
    return true;
  }

  post(req: IncomingMessage, res: ServerResponse): void {
    const ct = req.headers[CT];
    if (ct !== OCSP_REQUEST && (ct === undefined || ct.split(';')[0]!.trim().toLowerCase() !== OCSP_REQUEST)) {
      req.resume();
      return sendError(res, 'malformedRequest', false);
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && !(Number(declared) <= this.limit)) return sendError(res, 'malformedRequest', true);
    let first: Buffer | null = null;
    let more: Buffer[] | null = null;
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > this.limit) {
        req.off('data', onData);
        req.resume();
        return sendError(res, 'malformedRequest', true);
      }
      if (first === null) first = c;
      else (more ??= [first]).push(c);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (size > this.limit) return;
      const body = more ? Buffer.concat(more, size) : (first ?? Buffer.alloc(0));
      const requestKey = postKey(body);
      const hit = requestKey === undefined ? undefined : this.responder.lookup(requestKey);
      if (hit) return send(req, res, hit);
      this.answer(req, res, this.responder.respond(body, { nonceAllowed: this.nonceAllowed, requestKey }));
    });
  }

  get(req: IncomingMessage, res: ServerResponse, rest: string): void {
    const requestKey = getKey(rest);
    const hit = requestKey === undefined ? undefined : this.responder.lookup(requestKey);
    if (hit) return send(req, res, hit);
    let der: Buffer;
    try {
      der = decodeGetPath(rest);
    } catch {
      return sendError(res, 'malformedRequest', false);
    }
    this.answer(req, res, this.responder.respond(der, { nonceAllowed: this.nonceAllowed, requestKey }));
  }

  private answer(req: IncomingMessage, res: ServerResponse, p: Promise<OcspResult>): void {
    p.then(
      (r) => send(req, res, r),
      (e: unknown) => sendError(res, ocspStatusOf(e), false),
    ).catch(() => res.destroy());
  }
}

const mapError: ErrorMapper = (err, _req, res) => sendError(res, ocspStatusOf(toAppError(err)), false);

function send(req: IncomingMessage, res: ServerResponse, r: OcspResult): void {
  const h = r.http;
  if (!r.cacheable || h === null) {
    res.writeHead(200, [CT, OCSP_RESPONSE, 'content-length', String(r.der.length)]);
    res.end(r.der);
    return;
  }
  const cc = `max-age=${r.maxAge}, public, no-transform, must-revalidate`;
  if (req.method !== 'POST' && req.headers['if-none-match'] === h.etag) {
    res.writeHead(304, ['cache-control', cc, 'etag', h.etag, 'last-modified', h.lastModified, 'expires', h.expires]);
    res.end();
    return;
  }
  res.writeHead(200, [
    CT,
    OCSP_RESPONSE,
    'content-length',
    h.contentLength,
    'cache-control',
    cc,
    'etag',
    h.etag,
    'last-modified',
    h.lastModified,
    'expires',
    h.expires,
  ]);
  res.end(h.der);
}

function sendError(res: ServerResponse, status: OcspErrorStatus, close: boolean): void {
  if (res.headersSent) return;
  const der = errorResponse(status);
  const headers = [CT, OCSP_RESPONSE, 'content-length', String(der.length)];
  if (close) headers.push('connection', 'close');
  res.writeHead(200, headers);
  res.end(der);
}
