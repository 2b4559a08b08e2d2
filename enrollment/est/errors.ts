/**
 * The one place where AppError codes become EST HTTP answers (ARCHITECTURE habit 4).
 *
 * Rules enforced:
 * - RFC 7030 §4.2.3: failures are an HTTP error status with a human-readable text/plain body
 *   (the code and the safe message; never the cause). 500 says only "internal error".
 * - RFC 7030 §3.2.3 / RFC 9110 §11.6.1: every 401 carries
 *   `WWW-Authenticate: Basic realm="gatehouse-est"` so clients know to retry with credentials.
 * - 400: malformed request, CSR, base64, key or CSR policy, re-enrollment changing the subject
 *   (RFC 7030 §4.2.2). 401: token unknown/used/expired or no usable credential. 403: the
 *   credential is known but not allowed (revoked, expired or foreign certificate, device state,
 *   admin rejection). 404: unknown label. 413: body over the limit. 415: wrong media type.
 * - RFC 7030 §4.2.3 / RFC 9110 §10.2.3: 202 (pending approval, or ERR_ENROLL_PENDING: the
 *   approved request is being issued by a concurrent poll) and 503 (store busy, full or
 *   unavailable; issuer unavailable) carry Retry-After in seconds.
 * - Driver errors are classified once (platform/db mapDbError) before the mapping, so a busy
 *   SQLite or PostgreSQL is a 503, never a 500.
 * - A 413 closes the connection: the unread body is never waited for.
 */
import { mapDbError } from '../../platform/db/index.ts';
import { toAppError, type AppError, type ErrorCode } from '../../platform/errors.ts';
import { textResponse, type EstResponse } from './wire.ts';

export const EST_REALM = 'Basic realm="gatehouse-est"';

export const EST_STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_ENROLL_PENDING: 202,
  ERR_BAD_INPUT: 400,
  ERR_DER_MALFORMED: 400,
  ERR_CSR_MALFORMED: 400,
  ERR_CSR_SIGNATURE: 400,
  ERR_CSR_POLICY: 400,
  ERR_KEY_POLICY: 400,
  ERR_PROFILE_POLICY: 400,
  ERR_LINT: 400,
  ERR_REENROLL_SUBJECT_CHANGED: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_ENROLL_TOKEN_INVALID: 401,
  ERR_ENROLL_TOKEN_USED: 401,
  ERR_ENROLL_TOKEN_EXPIRED: 401,
  ERR_FORBIDDEN: 403,
  ERR_CERT_REVOKED: 403,
  ERR_CERT_EXPIRED: 403,
  ERR_CERT_FOREIGN: 403,
  ERR_DEVICE_STATE: 403,
  ERR_DEVICE_UNKNOWN: 403,
  ERR_ENROLL_DENIED: 403,
  ERR_NOT_FOUND: 404,
  ERR_TIMEOUT: 408,
  ERR_CONFLICT: 409,
  ERR_TOO_LARGE: 413,
  ERR_CSR_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_STORE_BUSY: 503,
  ERR_STORE_FULL: 503,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_ISSUER_UNAVAILABLE: 503,
};

/** HTTP status of an error (500 for anything unmapped: a bug or a misconfiguration). */
export function estStatusOf(err: AppError): number {
  return EST_STATUS[err.code] ?? 500;
}

/** Any thrown value -> the EST response for it. */
export function estErrorResponse(e: unknown): { response: EstResponse; error: AppError } {
  const err = toAppError(mapDbError(e));
  const status = estStatusOf(err);
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = EST_REALM;
  if (status === 503 || status === 202) headers['retry-after'] = String(err.retryAfter ?? 5);
  if (status === 413) headers.connection = 'close';
  const text = status === 500 ? 'internal error' : `${err.code}: ${err.message}`;
  return { response: textResponse(status, text, headers), error: err };
}

/** RFC 7030 §4.2.3: accepted for manual approval; poll again after retryAfter seconds. */
export function pendingResponse(requestId: string, retryAfter: number): EstResponse {
  return textResponse(202, `pending approval (request ${requestId})`, { 'retry-after': String(retryAfter) });
}
