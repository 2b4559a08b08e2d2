/**
 * The broker's one mapping from AppError codes to HTTP answers (status + stable reason code),
 * and from reason codes to the sentence a denial page shows next to them.
 *
 * Rules enforced:
 * - Each code maps once, here; pages and JSON endpoints show the reason code and the error's
 *   safe message, never the cause. Reason codes are stable (tests and audit entries match on
 *   them); the sentences are for people and may change.
 * - Storage and IdP outages are 503 (fail closed, retry later), never an allow and never a 500
 *   that hides that the answer is "not now".
 */
import type { AppError, ErrorCode } from '../platform/errors.ts';

export interface HttpFailure {
  status: number;
  reason: string;
}

const MAP: Partial<Record<ErrorCode, HttpFailure>> = {
  ERR_BAD_INPUT: { status: 400, reason: 'bad-input' },
  ERR_REDIRECT_INVALID: { status: 400, reason: 'redirect-not-allowed' },
  ERR_CSRF: { status: 403, reason: 'csrf-check-failed' },
  ERR_FORBIDDEN: { status: 403, reason: 'forbidden' },
  ERR_JIT_DUAL_CONTROL: { status: 403, reason: 'dual-control-required' },
  ERR_BROKER_CERT: { status: 403, reason: 'certificate-invalid' },
  ERR_SESSION_INVALID: { status: 401, reason: 'session-invalid' },
  ERR_UNAUTHENTICATED: { status: 401, reason: 'sign-in-required' },
  ERR_MFA_REQUIRED: { status: 401, reason: 'mfa-required' },
  ERR_MFA_INVALID: { status: 401, reason: 'mfa-invalid' },
  ERR_MFA_LOCKED: { status: 429, reason: 'mfa-locked' },
  ERR_TOTP_REPLAY: { status: 401, reason: 'totp-code-reused' },
  ERR_WEBAUTHN: { status: 401, reason: 'webauthn-failed' },
  ERR_OIDC: { status: 401, reason: 'sign-in-refused' },
  ERR_NOT_FOUND: { status: 404, reason: 'not-found' },
  ERR_CONFLICT: { status: 409, reason: 'conflict' },
  ERR_TOO_LARGE: { status: 413, reason: 'request-too-large' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, reason: 'unsupported-media-type' },
  ERR_STORE_BUSY: { status: 503, reason: 'store-unavailable' },
  ERR_STORE_FULL: { status: 503, reason: 'store-unavailable' },
  ERR_STORE_UNAVAILABLE: { status: 503, reason: 'store-unavailable' },
  ERR_AUDIT_WRITE: { status: 503, reason: 'audit-unavailable' },
  ERR_UPSTREAM: { status: 502, reason: 'upstream-unavailable' },
  ERR_UPSTREAM_PIN: { status: 502, reason: 'upstream-pin-mismatch' },
};

const REASON_TEXT: Record<string, string> = {
  'session-missing': 'You are not signed in to this console yet.',
  'session-certificate-mismatch': 'This session belongs to another client certificate.',
  'path-invalid': 'The requested path is not allowed (encoded slashes, path parameters, dot segments above the root).',
  'origin-not-allowed': 'WebSocket connections must come from the console page itself.',
  'websocket-not-allowed': 'This console does not allow WebSocket connections.',
  'upstream-pin-mismatch': 'The console presented a certificate other than the pinned one.',
  'unknown-host': 'This host is not served by the broker.',
  'totp-code-reused': 'That code was already used; wait for the next one.',
  'certificate-missing': 'No client certificate was presented. Install your Gatehouse admin certificate.',
  'certificate-foreign': 'The client certificate was not issued by this Gatehouse CA.',
  'certificate-expired': 'The client certificate has expired.',
  'certificate-not-yet-valid': 'The client certificate is not valid yet.',
  'certificate-revoked': 'The client certificate has been revoked.',
  'certificate-unknown': 'The client certificate is unknown to the CA.',
  'certificate-profile-not-allowed': 'This certificate is not an admin certificate.',
  'certificate-user-mismatch': 'The client certificate does not belong to the signed-in user.',
  'revocation-state-unavailable': 'Certificate status cannot be checked right now; try again shortly.',
  'no-matching-allow-rule': 'No rule allows this request.',
  'jit-grant-required': 'This console needs an approved just-in-time grant.',
  'mfa-too-old': 'This console needs a fresh second factor.',
};

/** The sentence for a reason code ('' when there is none; `denied-by-rule:<id>` is self-explanatory). */
export function reasonText(reason: string): string {
  return REASON_TEXT[reason] ?? '';
}

export function httpFailureOf(e: AppError): HttpFailure {
  if (e.code === 'ERR_OIDC' && e.retryAfter !== undefined) return { status: 503, reason: 'identity-provider-unavailable' };
  return MAP[e.code] ?? { status: 500, reason: 'internal-error' };
}
