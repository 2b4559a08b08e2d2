/**
 * Plain-HTTP publication of CRLs and issuer certificates (the URLs placed in certificates' CDP,
 * FreshestCRL and AIA caIssuers). Only content types, caching headers and paths live here.
 *
 * Rules enforced:
 * - Served over plain HTTP (RFC 5280 §4.2.1.13 / §4.2.2.1: relying parties fetch CRLs and CA
 *   certificates over http without TLS, which would itself need revocation checking).
 * - GET/HEAD /crl/<issuerId>.crl: DER, `application/pkix-crl` (RFC 2585 §4.2);
 *   /crl/<issuerId>.pem: RFC 7468 PEM, `application/x-pem-file`; /crl/<issuerId>-delta.crl
 *   (and -delta.pem): the newest delta CRL. GET /ca/<issuerId>.crt: the issuer certificate DER,
 *   `application/pkix-cert` (RFC 2585 §4.1; RFC 5280 §4.2.2.1 caIssuers: a single DER cert).
 * - Caching (RFC 9111, as RFC 5019 §6 does for OCSP): Cache-Control `public, max-age` = seconds
 *   until nextUpdate (never negative, optionally capped), Last-Modified = thisUpdate,
 *   Expires = nextUpdate, ETag = the CRL number; only If-None-Match (weak comparison, `*`)
 *   answers 304. If-Modified-Since is ignored (RFC 9110 §13.1.3 lets a server skip it): thisUpdate
 *   has whole seconds, so a newer CRL published in the same second would look unmodified.
 * - Unknown issuer or malformed path -> 404; a known issuer without a CRL yet -> 503 + Retry-After.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../platform/errors.ts';
import { Router } from '../../platform/http/index.ts';
import type { PublishedCrl } from './cache.ts';

/** What the router needs from CrlService. */
export interface CrlSource {
  latest(issuerId: string, opts?: { delta?: boolean }): Promise<PublishedCrl | null>;
  pem(crl: PublishedCrl): Buffer;
  knows(issuerId: string): boolean;
  issuerCertificate(issuerId: string): Buffer | null;
}

export interface CrlRouterOptions {
  /** Upper bound for max-age (e.g. so shared caches pick up revocation-triggered CRLs sooner). */
  maxAgeCapSeconds?: number;
  now?: () => Date;
}

const ID = '[A-Za-z0-9][A-Za-z0-9._-]{0,63}';
const CRL_PATH = new RegExp(`^(${ID})\\.(crl|pem)$`);
const CERT_PATH = new RegExp(`^(${ID})\\.crt$`);

function notModified(req: IncomingMessage, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  return inm !== undefined && inm.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === etag);
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  headers: Record<string, string>,
  etag: string,
  lastModified: Date | null,
): void {
  const h: Record<string, string> = { ...headers, etag };
  if (lastModified) h['last-modified'] = lastModified.toUTCString();
  if (notModified(req, etag)) {
    delete h['content-type'];
    res.writeHead(304, h);
    res.end();
    return;
  }
  res.writeHead(200, { ...h, 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Resolves `<id>.crl` / `<id>-delta.crl`, preferring an issuer whose own id ends in -delta. */
function resolve(src: CrlSource, name: string): { issuerId: string; delta: boolean } | null {
  if (src.knows(name)) return { issuerId: name, delta: false };
  if (name.endsWith('-delta') && src.knows(name.slice(0, -6))) return { issuerId: name.slice(0, -6), delta: true };
  return null;
}

/** Adds the CRL and CA-certificate routes to `router` (a new Router when omitted). */
export function createCrlRouter(src: CrlSource, opts: CrlRouterOptions = {}, router: Router = new Router()): Router {
  const now = opts.now ?? (() => new Date());
  router.prefix(['GET', 'HEAD'], '/crl', async (req, res, ctx) => {
    const m = CRL_PATH.exec(ctx.rest);
    const target = m ? resolve(src, m[1]!) : null;
    if (!m || !target) throw new AppError('ERR_NOT_FOUND', 'no such CRL');
    const crl = await src.latest(target.issuerId, { delta: target.delta });
    if (!crl) throw new AppError('ERR_ISSUER_UNAVAILABLE', 'CRL not published yet', { retryAfter: 5 });
    let maxAge = Math.max(0, Math.floor((crl.nextUpdate.getTime() - now().getTime()) / 1000));
    if (opts.maxAgeCapSeconds !== undefined) maxAge = Math.min(maxAge, opts.maxAgeCapSeconds);
    const pem = m[2] === 'pem';
    const headers = {
      'content-type': pem ? 'application/x-pem-file' : 'application/pkix-crl',
      'cache-control': `public, max-age=${maxAge}, no-transform`,
      expires: crl.nextUpdate.toUTCString(),
    };
    send(req, res, pem ? src.pem(crl) : crl.der, headers, `"${crl.number}"`, crl.thisUpdate);
  });
  router.prefix(['GET', 'HEAD'], '/ca', (req, res, ctx) => {
    const m = CERT_PATH.exec(ctx.rest);
    const der = m ? src.issuerCertificate(m[1]!) : null;
    if (!der) throw new AppError('ERR_NOT_FOUND', 'no such CA certificate');
    const etag = `"${createHash('sha256').update(der).digest('base64url').slice(0, 27)}"`;
    send(
      req,
      res,
      der,
      { 'content-type': 'application/pkix-cert', 'cache-control': 'public, max-age=86400, no-transform' },
      etag,
      null,
    );
  });
  return router;
}
