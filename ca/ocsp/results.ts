/**
 * What the responder hands its callers: the response DER plus what HTTP needs to cache it.
 *
 * Rules:
 * - Error results (malformedRequest, internalError, tryLater, sigRequired, unauthorized) are
 *   built once, frozen and shared; they are never cacheable (RFC 5019 §2.2.3, no cache headers).
 * - A pre-signed response gets its RFC 5019 §6.2 header values computed once when signed:
 *   Last-Modified = thisUpdate, Expires = nextUpdate, ETag = truncated SHA-256 of the DER,
 *   Content-Length; only max-age (seconds left until nextUpdate) is computed per request.
 * - Live (nonce or several CertIDs) results are not cacheable, and neither is an `unknown` answer
 *   (a certificate just issued on another node must not stay unknown in shared HTTP caches): it
 *   goes out without caching headers (cache.ts keeps it 60 s at most).
 * - Counters, bound once so the hot path only increments (Prometheus, gatehouse_ prefix):
 *   gatehouse_ocsp_responses_total{status} (good | revoked | unknown per CertID of a successful
 *   response, or the error status), gatehouse_ocsp_cache_total{result} (hit | miss | refresh),
 *   gatehouse_ocsp_signatures_total{kind} (cached | live), gatehouse_ocsp_cache_entries.
 */
import { createHash } from 'node:crypto';
import { counter, gauge, type Registry } from '../../platform/metrics.ts';
import type { CachedResponse, SignedForm } from './cache.ts';
import { errorResponse, type OcspErrorStatus, type OcspResponseStatus } from './response.ts';

/** Treat as read-only; `http` holds the RFC 5019 §6 header values of a cacheable response. */
export interface OcspResult {
  der: Buffer;
  status: OcspResponseStatus;
  cacheable: boolean;
  /** Seconds until nextUpdate (0 when not cacheable). */
  maxAge: number;
  producedAt: Date | null;
  thisUpdate: Date | null;
  nextUpdate: Date | null;
  http: SignedForm | null;
}

const NONE = { cacheable: false, maxAge: 0, producedAt: null, thisUpdate: null, nextUpdate: null, http: null };
const ERRORS = new Map<OcspErrorStatus, OcspResult>(
  (['malformedRequest', 'internalError', 'tryLater', 'sigRequired', 'unauthorized'] as const).map((s) => [
    s,
    Object.freeze({ der: errorResponse(s), status: s, ...NONE }),
  ]),
);

export const errorResult = (status: OcspErrorStatus): OcspResult => ERRORS.get(status) as OcspResult;

/** The signed form of a cache entry, with its HTTP header values. */
export function signedForm(e: CachedResponse, der: Buffer, producedAt: Date): SignedForm {
  return {
    der,
    producedAt,
    etag: '"' + createHash('sha256').update(der).digest('base64url').slice(0, 27) + '"',
    lastModified: e.thisUpdate.toUTCString(),
    expires: e.nextUpdate.toUTCString(),
    contentLength: String(der.length),
  };
}

export function cachedResult(e: CachedResponse, s: SignedForm, now: number): OcspResult {
  if (e.kind === 'unknown') return { der: s.der, status: 'successful', ...NONE, producedAt: s.producedAt, thisUpdate: e.thisUpdate, nextUpdate: e.nextUpdate };
  return {
    der: s.der,
    status: 'successful',
    cacheable: true,
    maxAge: Math.max(0, Math.floor((e.expiresMs - now) / 1000)),
    producedAt: s.producedAt,
    thisUpdate: e.thisUpdate,
    nextUpdate: e.nextUpdate,
    http: s,
  };
}

export function liveResult(der: Buffer, producedAt: Date, first: CachedResponse): OcspResult {
  return { der, status: 'successful', ...NONE, producedAt, thisUpdate: first.thisUpdate, nextUpdate: first.nextUpdate };
}

export function ocspMetrics(reg: Registry) {
  const responses = counter(
    reg,
    'gatehouse_ocsp_responses_total',
    'OCSP responses by status (per CertID when successful)',
    ['status'],
  );
  const cache = counter(reg, 'gatehouse_ocsp_cache_total', 'OCSP pre-signed cache lookups', ['result']);
  const sigs = counter(reg, 'gatehouse_ocsp_signatures_total', 'OCSP responses signed', ['kind']);
  return {
    kind: {
      good: responses.labels('good'),
      revoked: responses.labels('revoked'),
      unknown: responses.labels('unknown'),
    },
    error: (s: OcspErrorStatus) => responses.labels(s),
    hit: cache.labels('hit'),
    miss: cache.labels('miss'),
    refresh: cache.labels('refresh'),
    signCached: sigs.labels('cached'),
    signLive: sigs.labels('live'),
    entries: gauge(reg, 'gatehouse_ocsp_cache_entries', 'OCSP responses held in the cache'),
  };
}
