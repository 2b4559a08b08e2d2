/**
 * The SCEP HTTP binding (RFC 8894 §4) on a platform/http Router, plain HTTP on the main
 * listener (SCEP protects its messages itself, §4.1). Thin: paths, query, bodies and content
 * types here; every SCEP decision in handlers.ts.
 *
 * Rules enforced:
 * - Paths: /scep and /scep/<label> (label -> profile via enrollment.labels; unknown -> 404),
 *   each optionally followed by /pkiclient.exe (the CGI path many clients append, §4.1).
 * - GET ?operation=GetCACaps -> text/plain (§4.6); GetCACert -> application/x-x509-ca-ra-cert
 *   (§4.2.1.2); the `message` CA identifier of these is ignored (one CA per label).
 * - PKIOperation over POST (§4.3, body application/x-pki-message; application/octet-stream and
 *   no type are tolerated, anything else 415) and GET (§4.3.1, message=<base64>): the raw query
 *   is decoded by hand with %XX decoding only, because macOS sends '+' and '/' unescaped and
 *   URLSearchParams would turn '+' into a space. Base64 line breaks are dropped.
 * - Size: a POST body over enrollment.scep.maxBodyBytes is refused (413) before it is buffered
 *   (declared length) or the moment it passes the cap (chunked); a GET message is capped the
 *   same way before decoding.
 * - Answers: a CertRep (200, application/x-pki-message, no-store) for anything that names a
 *   transaction; 400 only when nothing can be answered; never 500 (internal trouble -> 503).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { Router, mediaType, readBody } from '../../platform/http/index.ts';
import type { EnrollmentConfig } from '../../platform/config/index.ts';
import type { Logger } from '../../platform/log.ts';
import type { Registry } from '../../platform/metrics.ts';
import type { CertificateAuthority } from '../../ca/index.ts';
import { SCEP_CONTENT_TYPES } from './capabilities.ts';
import { createScepHandlers, type ScepHandlerDeps, type ScepReply } from './handlers.ts';
import type { ScepCrlSource } from './lookups.ts';
import type { ScepRaSource } from './ra.ts';
import { ScepTransactions } from './transactions.ts';

export interface ScepRouterOptions {
  /** Holds scep_transactions (enroll_002_scep). */
  db: Db;
  onboarding: ScepHandlerDeps['onboarding'];
  ca: CertificateAuthority;
  ra: ScepRaSource;
  /** The enrollment section: `scep` settings and `labels`. */
  config: Pick<EnrollmentConfig, 'scep' | 'labels'>;
  log: Logger;
  metrics?: Registry | undefined;
  /** ca/crl CrlService (or anything with latest(issuerId)); without it GetCRL answers FAILURE. */
  crlSource?: ScepCrlSource | undefined;
  now?: () => number;
}

const POST_TYPES = new Set([SCEP_CONTENT_TYPES.pkiMessage, 'application/octet-stream', '']);
const LABEL_RE = /^[a-zA-Z0-9_-]{1,64}$/;

/** `/scep/<rest>` -> label (undefined for the default profile); null when the path is not ours. */
function labelOf(rest: string): string | undefined | null {
  const parts = rest.split('/').filter((p) => p !== '');
  if (parts.at(-1) === 'pkiclient.exe') parts.pop();
  if (parts.length === 0) return undefined;
  return parts.length === 1 && LABEL_RE.test(parts[0]!) ? parts[0] : null;
}

/** GET message=: only %XX decoding ('+' stays '+'); null when it is not base64. */
function getMessage(rawUrl: string, maxBytes: number): Buffer | null {
  const m = /[?&]message=([^&]*)/.exec(rawUrl);
  if (!m?.[1]) return null;
  if (m[1].length > Math.ceil(maxBytes / 3) * 4 * 3 + 16) throw new AppError('ERR_TOO_LARGE', 'message too large');
  let text: string;
  try {
    text = decodeURIComponent(m[1]);
  } catch {
    return null;
  }
  text = text.replace(/[\r\n]/g, '').replace(/ /g, '+');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return null;
  const der = Buffer.from(text, 'base64');
  if (der.length > maxBytes) throw new AppError('ERR_TOO_LARGE', 'message too large');
  return der;
}

function send(res: ServerResponse, r: ScepReply): void {
  const headers: Record<string, string | number> = { 'content-type': r.contentType, 'content-length': r.body.length };
  if (r.contentType === SCEP_CONTENT_TYPES.pkiMessage) headers['cache-control'] = 'no-store';
  res.writeHead(r.status, headers);
  res.end(r.body);
}

const text = (status: number, body: string): ScepReply => ({ status, contentType: 'text/plain', body: Buffer.from(body + '\n') });

const HTTP_STATUS: Partial<Record<AppError['code'], number>> = {
  ERR_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_NOT_FOUND: 404,
  ERR_BAD_INPUT: 400,
  ERR_DER_MALFORMED: 400,
  ERR_SCEP_BAD_MESSAGE: 400,
  ERR_SCEP_BAD_SIGNATURE: 400,
  ERR_SCEP_BAD_RECIPIENT: 400,
};

/** Errors that escaped the handlers (body limits, media type, a broken RA): never a 500. */
function scepHttpError(log: Logger) {
  return (err: AppError, req: IncomingMessage, res: ServerResponse): void => {
    const status = HTTP_STATUS[err.code] ?? 503;
    if (status === 503) log.error({ err, url: req.url?.slice(0, 128) }, 'SCEP request failed');
    if (status === 503) res.setHeader('retry-after', '5');
    send(res, text(status, status === 503 ? 'temporarily unavailable' : err.message));
  };
}

export function createScepRouter(o: ScepRouterOptions): Router {
  const cfg = o.config.scep;
  const h = createScepHandlers({
    onboarding: o.onboarding,
    ca: o.ca,
    ra: o.ra,
    transactions: new ScepTransactions(o.db, o.now),
    config: { allowDesCbc: cfg.allowDesCbc, maxBodyBytes: cfg.maxBodyBytes },
    log: o.log,
    metrics: o.metrics,
    crlSource: o.crlSource,
  });
  const router = new Router(scepHttpError(o.log));
  router.prefix(['GET', 'POST'], '/scep', async (req, res, ctx) => {
    const label = labelOf(ctx.rest);
    if (label === null || (label !== undefined && !Object.hasOwn(o.config.labels, label))) {
      return send(res, text(404, 'unknown SCEP path'));
    }
    const op = ctx.url.searchParams.get('operation');
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (req.method === 'GET' && op === 'GetCACaps') return send(res, h.getCaCaps());
    if (req.method === 'GET' && op === 'GetCACert') return send(res, h.getCaCert());
    if (op !== 'PKIOperation') {
      req.resume();
      return send(res, text(400, 'unsupported operation'));
    }
    if (req.method === 'HEAD') return send(res, text(405, 'PKIOperation is GET or POST')); // HEAD must not enroll
    let der: Buffer | null;
    if (req.method === 'POST') {
      if (!POST_TYPES.has(mediaType(req))) {
        req.resume();
        throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', `PKIOperation wants ${SCEP_CONTENT_TYPES.pkiMessage}`);
      }
      der = await readBody(req, cfg.maxBodyBytes);
    } else {
      der = getMessage(req.url ?? '', cfg.maxBodyBytes);
    }
    if (!der || der.length === 0) return send(res, text(400, 'malformed SCEP message'));
    send(res, await h.pkiOperation(der, { label, peer }));
  });
  return router;
}
