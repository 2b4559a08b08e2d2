/**
 * JSON request/response helpers and the admin API's single error mapping.
 * Errors: { "error": CODE, "message": safe text, "detail"?: {...} } with the HTTP status below;
 * Retry-After when the store is busy. Internal errors never leak their cause.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, httpStatusOf, mediaType, readBody, type ErrorMapper } from '../../platform/index.ts';

const STATUS: Partial<Record<AppError['code'], number>> = {
  ERR_DEVICE_UNKNOWN: 404,
  ERR_CERT_UNKNOWN: 404,
  ERR_NOT_FOUND: 404,
  ERR_DEVICE_STATE: 409,
  ERR_ALREADY_REVOKED: 409,
  ERR_CONFLICT: 409,
  ERR_PROFILE_UNKNOWN: 400,
  ERR_PROFILE_POLICY: 400,
  ERR_KEY_POLICY: 400,
  ERR_CSR_MALFORMED: 400,
  ERR_CSR_SIGNATURE: 400,
  ERR_CSR_TOO_LARGE: 413,
  ERR_CSR_POLICY: 400,
  ERR_LINT: 400,
  ERR_REVOCATION_REASON: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_CERT_REVOKED: 403,
  ERR_CERT_FOREIGN: 403,
  ERR_CERT_EXPIRED: 403,
};

export const jsonErrorMapper: ErrorMapper = (err, _req, res) => {
  const status = STATUS[err.code] ?? httpStatusOf(err);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter);
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: err.code, message: status === 500 ? 'internal error' : err.message, ...(err.detail && status !== 500 ? { detail: err.detail } : {}) }));
};

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? undefined : v)));
}

export async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  if (mediaType(req) !== 'application/json') throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  const body = await readBody(req, limit);
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new AppError('ERR_BAD_INPUT', 'body must be a JSON object');
  }
}
