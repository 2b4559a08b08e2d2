/**
 * Failing closed, once for OCSP: reading revocation status, and the one mapping from AppError
 * codes to OCSP wire statuses (RFC 6960 §2.3 / §4.2.1, RFC 5019 §2.2.3).
 *
 * Rules:
 * - ca.status() decides: good, revoked (real time; reason mapped to its RFC 5280 §5.3.1 code) or
 *   unknown (the serial is not ours, or only reserved) — never good for a serial we lack.
 * - A status read that fails (ERR_STORE_*, any driver or other error) or takes longer than
 *   timeoutMs becomes ERR_STORE_UNAVAILABLE / ERR_TIMEOUT -> tryLater, never `good`.
 * - ERR_OCSP_MALFORMED / ERR_DER_MALFORMED / ERR_BAD_INPUT / ERR_TOO_LARGE /
 *   ERR_UNSUPPORTED_MEDIA_TYPE -> malformedRequest.
 * - ERR_OCSP_UNAUTHORIZED (issuer not served here, unsupported CertID hash) -> unauthorized.
 * - ERR_STORE_*, ERR_TIMEOUT, and an issuer key or responder certificate not available yet
 *   (ERR_ISSUER_UNAVAILABLE, ERR_KEY_LOCKED) -> tryLater.
 * - Anything else -> internalError. HTTP always carries these as 200 with an OCSPResponse body
 *   (RFC 5019 §2.2.3: errors are OCSP responses), see router.ts.
 * - Failures are logged at most once per interval (rateLimitedWarn): a dead store under load
 *   must not flood the log.
 */
import { AppError, isAppError, toAppError, type ErrorCode } from '../../platform/errors.ts';
import type { Logger } from '../../platform/log.ts';
import { REVOCATION_REASONS, type CertificateAuthority, type CertStatus } from '../types.ts';
import type { OcspErrorStatus, SingleStatus } from './response.ts';

const MAP: Partial<Record<ErrorCode, OcspErrorStatus>> = {
  ERR_OCSP_MALFORMED: 'malformedRequest',
  ERR_DER_MALFORMED: 'malformedRequest',
  ERR_BAD_INPUT: 'malformedRequest',
  ERR_TOO_LARGE: 'malformedRequest',
  ERR_UNSUPPORTED_MEDIA_TYPE: 'malformedRequest',
  ERR_OCSP_UNAUTHORIZED: 'unauthorized',
  ERR_STORE_BUSY: 'tryLater',
  ERR_STORE_FULL: 'tryLater',
  ERR_STORE_UNAVAILABLE: 'tryLater',
  ERR_ISSUER_UNAVAILABLE: 'tryLater',
  ERR_KEY_LOCKED: 'tryLater',
  ERR_TIMEOUT: 'tryLater',
};

export function ocspStatusOf(err: unknown): OcspErrorStatus {
  return MAP[toAppError(err).code] ?? 'internalError';
}

export async function readStatus(
  ca: Pick<CertificateAuthority, 'status'>,
  issuerId: string,
  serial: string,
  timeoutMs: number,
): Promise<SingleStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const st = await Promise.race([
      ca.status(issuerId, serial),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AppError('ERR_TIMEOUT', 'status read timed out')), timeoutMs);
      }),
    ]);
    return toSingle(st);
  } catch (e) {
    if (isAppError(e) && (e.code.startsWith('ERR_STORE_') || e.code === 'ERR_TIMEOUT')) throw e;
    throw new AppError('ERR_STORE_UNAVAILABLE', 'revocation status unavailable', { cause: e, retryAfter: 5 });
  } finally {
    clearTimeout(timer);
  }
}

export function toSingle(st: CertStatus): SingleStatus {
  if (st.state === 'good') return { kind: 'good' };
  if (st.state === 'revoked') {
    return { kind: 'revoked', revokedAt: st.revokedAt, reason: REVOCATION_REASONS[st.reason] ?? null };
  }
  return { kind: 'unknown' };
}

/** A warn(e, msg) that logs at most once every `intervalMs` (the internal cause, never to peers). */
export function rateLimitedWarn(log: Logger, intervalMs: number): (e: unknown, msg: string) => void {
  let last = -Infinity;
  return (e, msg) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    const err = toAppError(e);
    log.warn({ err: err.cause ?? err, code: err.code }, msg);
  };
}
