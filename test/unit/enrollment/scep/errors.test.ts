/**
 * The one AppError -> SCEP mapping (enrollment/scep/errors.ts, RFC 8894 §3.2.1.3–§3.2.1.4),
 * table-driven: every code of interest, unknown errors, and the no-oracle rule for ERR_SCEP_*.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, ERROR_CODES, type ErrorCode } from '../../../../platform/errors.ts';
import { scepVerdictOf } from '../../../../enrollment/scep/index.ts';

const CASES: Array<[ErrorCode, string]> = [
  ['ERR_ENROLL_TOKEN_INVALID', 'badRequest'],
  ['ERR_ENROLL_TOKEN_USED', 'badRequest'],
  ['ERR_ENROLL_TOKEN_EXPIRED', 'badRequest'],
  ['ERR_ENROLL_DENIED', 'badRequest'],
  ['ERR_DEVICE_UNKNOWN', 'badRequest'],
  ['ERR_DEVICE_STATE', 'badRequest'],
  ['ERR_CONFLICT', 'badRequest'],
  ['ERR_REENROLL_SUBJECT_CHANGED', 'badRequest'],
  ['ERR_CSR_SIGNATURE', 'badMessageCheck'],
  ['ERR_CSR_MALFORMED', 'badRequest'],
  ['ERR_KEY_POLICY', 'badAlg'],
  ['ERR_CERT_EXPIRED', 'badTime'],
  ['ERR_CERT_REVOKED', 'badRequest'],
  ['ERR_CERT_FOREIGN', 'badCertId'],
  ['ERR_CERT_UNKNOWN', 'badCertId'],
  ['ERR_SCEP_UNKNOWN_TRANSACTION', 'badCertId'],
  ['ERR_STORE_BUSY', 'badRequest'],
  ['ERR_ISSUER_UNAVAILABLE', 'badRequest'],
  ['ERR_SCEP_BAD_SIGNATURE', 'badMessageCheck'],
  ['ERR_SCEP_BAD_MESSAGE', 'badRequest'],
];

describe('scepVerdictOf', () => {
  for (const [code, failInfo] of CASES) {
    it(`${code} -> FAILURE ${failInfo}`, () => {
      const v = scepVerdictOf(new AppError(code, 'secret detail device cam-9 is retired'));
      assert.equal(v.status, 'FAILURE');
      if (v.status === 'FAILURE') {
        assert.equal(v.failInfo, failInfo);
        assert.doesNotMatch(v.failInfoText ?? '', /secret|cam-9/); // never the message
      }
    });
  }

  it('ERR_ENROLL_PENDING -> PENDING', () => {
    assert.deepEqual(scepVerdictOf(new AppError('ERR_ENROLL_PENDING', 'x', { retryAfter: 60 })), { status: 'PENDING', retryAfter: 60 });
  });

  it('message-layer errors keep the suggested failInfo and carry no text (no decryption oracle)', () => {
    for (const code of ['ERR_SCEP_BAD_MESSAGE', 'ERR_SCEP_BAD_RECIPIENT', 'ERR_SCEP_BAD_SIGNATURE'] as const) {
      const v = scepVerdictOf(new AppError(code, 'cannot decrypt', { detail: { failInfo: 'badAlg' } }));
      assert.deepEqual(v, { status: 'FAILURE', failInfo: 'badAlg' });
    }
  });

  it('anything else, and non-AppErrors, -> FAILURE badRequest "internal error"', () => {
    assert.deepEqual(scepVerdictOf(new Error('boom at /etc/passwd')), { status: 'FAILURE', failInfo: 'badRequest', failInfoText: 'internal error' });
    for (const code of ERROR_CODES) {
      const v = scepVerdictOf(new AppError(code, 'm'));
      assert.ok(v.status === 'PENDING' || v.status === 'FAILURE', code);
    }
  });
});
