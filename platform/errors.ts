/**
 * Typed application errors with stable codes.
 *
 * Rules:
 * - Every failure that crosses a module boundary is an AppError with a code from ErrorCode.
 * - `message` is safe to show to the peer (no secrets, no stack, no SQL); `cause` keeps the
 *   internal detail for logs only.
 * - Each protocol maps codes to its own wire form exactly once (EST status, SCEP failInfo,
 *   OCSP status, RADIUS silent discard ...): see the `errors.ts` file of each adapter.
 */

export const ERROR_CODES = [
  // generic
  'ERR_INTERNAL',
  'ERR_BAD_INPUT',
  'ERR_NOT_FOUND',
  'ERR_CONFLICT',
  'ERR_TOO_LARGE',
  'ERR_UNSUPPORTED_MEDIA_TYPE',
  'ERR_TIMEOUT',
  'ERR_UNAUTHENTICATED',
  'ERR_FORBIDDEN',
  'ERR_CONFIG',
  // storage
  'ERR_STORE_BUSY',
  'ERR_STORE_FULL',
  'ERR_STORE_UNAVAILABLE',
  // DER / ASN.1
  'ERR_DER_MALFORMED',
  // CA
  'ERR_CSR_MALFORMED',
  'ERR_CSR_SIGNATURE',
  'ERR_CSR_TOO_LARGE',
  'ERR_KEY_POLICY',
  'ERR_CSR_POLICY',
  'ERR_PROFILE_UNKNOWN',
  'ERR_PROFILE_POLICY',
  'ERR_LINT',
  'ERR_ISSUER_UNAVAILABLE',
  'ERR_CERT_UNKNOWN',
  'ERR_ALREADY_REVOKED',
  'ERR_REVOCATION_REASON',
  'ERR_KEY_LOCKED',
  // OCSP
  'ERR_OCSP_MALFORMED',
  'ERR_OCSP_UNAUTHORIZED',
  // audit
  'ERR_AUDIT_CHAIN',
  'ERR_AUDIT_WRITE',
  // enrollment
  'ERR_ENROLL_TOKEN_INVALID',
  'ERR_ENROLL_TOKEN_USED',
  'ERR_ENROLL_TOKEN_EXPIRED',
  'ERR_ENROLL_PENDING',
  'ERR_ENROLL_DENIED',
  'ERR_DEVICE_UNKNOWN',
  'ERR_DEVICE_STATE',
  'ERR_REENROLL_SUBJECT_CHANGED',
  'ERR_CERT_REVOKED',
  'ERR_CERT_EXPIRED',
  'ERR_CERT_FOREIGN',
  'ERR_SCEP_BAD_MESSAGE',
  'ERR_SCEP_BAD_RECIPIENT',
  'ERR_SCEP_BAD_SIGNATURE',
  'ERR_SCEP_UNKNOWN_TRANSACTION',
  // radius
  'ERR_RADIUS_MALFORMED',
  'ERR_RADIUS_AUTHENTICATOR',
  'ERR_EAP_MALFORMED',
  'ERR_EAP_LIMIT',
  // broker
  'ERR_POLICY_INVALID',
  'ERR_SESSION_INVALID',
  'ERR_MFA_REQUIRED',
  'ERR_MFA_INVALID',
  'ERR_MFA_LOCKED',
  'ERR_OIDC',
  'ERR_BROKER_CERT',
  'ERR_TOTP_REPLAY',
  'ERR_WEBAUTHN',
  'ERR_CSRF',
  'ERR_REDIRECT_INVALID',
  'ERR_JIT_DUAL_CONTROL',
  'ERR_UPSTREAM',
  'ERR_UPSTREAM_PIN',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorOptions {
  cause?: unknown;
  /** Seconds a client should wait before retrying (store busy, disk full, pending approval). */
  retryAfter?: number;
  /** Extra structured detail that is safe to show. */
  detail?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfter: number | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: AppErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryAfter = opts.retryAfter;
    this.detail = opts.detail;
  }
}

export function isAppError(e: unknown, code?: ErrorCode): e is AppError {
  return e instanceof AppError && (code === undefined || e.code === code);
}

/** Wraps anything thrown into an AppError without leaking internal text to the peer. */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  return new AppError('ERR_INTERNAL', 'internal error', { cause: e });
}
