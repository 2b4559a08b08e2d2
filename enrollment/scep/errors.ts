/**
 * The one place where AppError codes become SCEP answers (RFC 8894 §3.2.1.3 pkiStatus,
 * §3.2.1.4 failInfo). handlers.ts and the router never pick a failInfo themselves.
 *
 * Rules enforced:
 * - Every error ends as a signed CertRep: FAILURE + failInfo, or PENDING for a request that
 *   waits for approval. Never an HTTP 500 (RFC 8894 §3.3.2); unknown or internal errors become
 *   FAILURE badRequest with a generic text.
 * - failInfo (§3.2.1.4): badAlg (0) unsupported algorithm or key policy; badMessageCheck (1)
 *   a signature (pkiMessage or CSR proof of possession) does not verify; badRequest (2) the
 *   request is refused or malformed; badTime (3) a certificate is not valid now; badCertId (4)
 *   no certificate or transaction matches.
 * - Message-layer errors (ERR_SCEP_*) keep the failInfo parsePkiMessage suggested and get NO
 *   failInfoText: every decryption failure must look the same (no padding oracle, envelope.ts).
 * - failInfoText (§3.2.1.4) is a fixed phrase per class, never the error message: it must not
 *   tell an unauthenticated peer whether a token exists or which state a device is in.
 */
import { isAppError, type ErrorCode } from '../../platform/errors.ts';
import { FAIL_INFO, type FailInfo } from './attributes.ts';

export type ScepVerdict =
  | { status: 'FAILURE'; failInfo: FailInfo; failInfoText?: string }
  | { status: 'PENDING'; retryAfter?: number };

type Row = [FailInfo, string];

const REFUSED: Row = ['badRequest', 'request refused'];
const TOKEN: Row = ['badRequest', 'challenge password rejected'];
const UNAVAILABLE: Row = ['badRequest', 'temporarily unavailable, retry later'];

const TABLE: Partial<Record<ErrorCode, Row>> = {
  ERR_ENROLL_TOKEN_INVALID: TOKEN,
  ERR_ENROLL_TOKEN_USED: TOKEN,
  ERR_ENROLL_TOKEN_EXPIRED: TOKEN,
  ERR_ENROLL_DENIED: REFUSED,
  ERR_DEVICE_UNKNOWN: REFUSED,
  ERR_DEVICE_STATE: REFUSED,
  ERR_UNAUTHENTICATED: REFUSED,
  ERR_FORBIDDEN: REFUSED,
  ERR_NOT_FOUND: REFUSED,
  ERR_CONFLICT: ['badRequest', 'transactionID already used for another request'],
  ERR_REENROLL_SUBJECT_CHANGED: ['badRequest', 'renewal must keep the subject'],
  ERR_CSR_SIGNATURE: ['badMessageCheck', 'CSR signature does not verify'],
  ERR_CSR_MALFORMED: ['badRequest', 'malformed CSR'],
  ERR_CSR_TOO_LARGE: ['badRequest', 'malformed CSR'],
  ERR_CSR_POLICY: ['badRequest', 'CSR not allowed by policy'],
  ERR_PROFILE_POLICY: ['badRequest', 'CSR not allowed by policy'],
  ERR_PROFILE_UNKNOWN: ['badRequest', 'CSR not allowed by policy'],
  ERR_LINT: ['badRequest', 'CSR not allowed by policy'],
  ERR_DER_MALFORMED: ['badRequest', 'malformed request'],
  ERR_BAD_INPUT: ['badRequest', 'malformed request'],
  ERR_KEY_POLICY: ['badAlg', 'key type or size not allowed'],
  ERR_CERT_EXPIRED: ['badTime', 'certificate is not valid now'],
  ERR_CERT_REVOKED: ['badRequest', 'certificate is revoked'],
  ERR_CERT_FOREIGN: ['badCertId', 'certificate not issued by this CA'],
  ERR_CERT_UNKNOWN: ['badCertId', 'no such certificate'],
  ERR_SCEP_UNKNOWN_TRANSACTION: ['badCertId', 'unknown transaction'],
  ERR_STORE_BUSY: UNAVAILABLE,
  ERR_STORE_FULL: UNAVAILABLE,
  ERR_STORE_UNAVAILABLE: UNAVAILABLE,
  ERR_ISSUER_UNAVAILABLE: UNAVAILABLE,
  ERR_TIMEOUT: UNAVAILABLE,
};

const SCEP_MESSAGE_CODES = new Set<ErrorCode>(['ERR_SCEP_BAD_MESSAGE', 'ERR_SCEP_BAD_SIGNATURE', 'ERR_SCEP_BAD_RECIPIENT']);
const SCEP_DEFAULT: Partial<Record<ErrorCode, FailInfo>> = { ERR_SCEP_BAD_SIGNATURE: 'badMessageCheck' };

/** The SCEP answer for any thrown value. */
export function scepVerdictOf(err: unknown): ScepVerdict {
  if (!isAppError(err)) return { status: 'FAILURE', failInfo: 'badRequest', failInfoText: 'internal error' };
  if (err.code === 'ERR_ENROLL_PENDING') return { status: 'PENDING', ...(err.retryAfter ? { retryAfter: err.retryAfter } : {}) };
  if (SCEP_MESSAGE_CODES.has(err.code)) {
    const suggested = err.detail?.failInfo;
    const failInfo = typeof suggested === 'string' && suggested in FAIL_INFO ? (suggested as FailInfo) : undefined;
    return { status: 'FAILURE', failInfo: failInfo ?? SCEP_DEFAULT[err.code] ?? 'badRequest' };
  }
  const row = TABLE[err.code];
  if (!row) return { status: 'FAILURE', failInfo: 'badRequest', failInfoText: 'internal error' };
  return { status: 'FAILURE', failInfo: row[0], failInfoText: row[1] };
}

/** Short label for logs and metrics (never the message). */
export const errorCodeOf = (err: unknown): string => (isAppError(err) ? err.code : 'ERR_INTERNAL');
