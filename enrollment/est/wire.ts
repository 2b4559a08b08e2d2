/**
 * EST wire forms: the request/response shapes of the pure handlers, media types and base64.
 *
 * Rules enforced:
 * - RFC 7030 §4.1.3, §4.2.3 as clarified by RFC 8951 §3: response bodies are base64 (RFC 4648
 *   §4 alphabet) of DER, `application/pkcs7-mime; smime-type=certs-only`. HTTP has no
 *   Content-Transfer-Encoding, so requests are decoded as base64 whatever that header says;
 *   responses still carry `Content-Transfer-Encoding: base64` for pre-RFC 8951 clients.
 * - RFC 7030 §4.2.1 / RFC 8951 §3: requests are `application/pkcs10` base64, accepted with or
 *   without line breaks (CR, LF, spaces and tabs are ignored) and with or without `=` padding;
 *   any other character, an impossible length or an empty body is ERR_BAD_INPUT (400).
 * - Media types are compared without parameters, case-insensitively (RFC 9110 §8.3.1); a wrong
 *   one is ERR_UNSUPPORTED_MEDIA_TYPE (415).
 * - Responses are base64 in 64-character lines (what `openssl base64 -d` and `base64 -d` read).
 */
import { AppError } from '../../platform/errors.ts';

export const MEDIA = {
  pkcs10: 'application/pkcs10',
  certsOnly: 'application/pkcs7-mime; smime-type=certs-only',
  csrattrs: 'application/csrattrs',
  pkcs8: 'application/pkcs8',
  text: 'text/plain; charset=utf-8',
} as const;

/** What the TLS layer and the Authorization header said about the client. */
export interface EstAuth {
  /** Client certificate chain (leaf first, DER) as presented in the handshake. */
  clientChain?: Buffer[] | undefined;
  /** True only when node verified clientChain against our CA chain + the IDevID anchors. */
  tlsAuthorized: boolean;
  basic?: { user: string; pass: string } | undefined;
  /** tls-unique (TLS 1.2) or tls-exporter (TLS 1.3) of this connection; absent without TLS. */
  channelBinding?: Buffer | undefined;
}

export interface EstRequest {
  /** Raw request body (already size-limited by the adapter). */
  body: Buffer;
  /** Content-Type header as sent (parameters allowed). */
  contentType?: string | undefined;
  auth: EstAuth;
  /** Optional label path segment (RFC 7030 §3.2.2). */
  label?: string | undefined;
  /** Client address, for the audit log. */
  peer: string;
}

export interface EstResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const B64 = /^[A-Za-z0-9+/]*$/;

/** Strict base64 (RFC 4648 §4) with whitespace and padding tolerated. */
export function decodeBase64(body: Buffer | string, what = 'body'): Buffer {
  const s = (typeof body === 'string' ? body : body.toString('latin1')).replace(/[\r\n\t ]+/g, '');
  const core = s.replace(/={1,2}$/, '');
  if (core.length === 0) throw new AppError('ERR_BAD_INPUT', `empty ${what}`);
  if (!B64.test(core) || core.length % 4 === 1 || (s.length !== core.length && s.length % 4 !== 0)) {
    throw new AppError('ERR_BAD_INPUT', `${what} is not base64 (RFC 8951: base64-encoded DER)`);
  }
  return Buffer.from(core, 'base64');
}

/** Base64 in 64-character lines, newline-terminated. */
export function encodeBase64(der: Buffer): string {
  const b = der.toString('base64');
  let out = '';
  for (let i = 0; i < b.length; i += 64) out += b.slice(i, i + 64) + '\n';
  return out;
}

/** Media type without parameters, lower-cased ('' when absent). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function requireMediaType(req: EstRequest, expected: string): void {
  const got = mediaTypeOf(req.contentType);
  if (got !== expected)
    throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', `expected Content-Type ${expected}, got ${got || 'none'}`);
}

/** 200 with a base64 certs-only PKCS#7 body. */
export function base64Response(contentType: string, der: Buffer, status = 200): EstResponse {
  return {
    status,
    headers: { 'content-type': contentType, 'content-transfer-encoding': 'base64' },
    body: encodeBase64(der),
  };
}

export function textResponse(status: number, text: string, extra: Record<string, string> = {}): EstResponse {
  return { status, headers: { 'content-type': MEDIA.text, ...extra }, body: text.endsWith('\n') ? text : text + '\n' };
}
