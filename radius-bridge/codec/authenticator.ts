/**
 * Authenticator formulas shared by the encoder (signing) and the verifier (checking).
 *
 * Rules:
 * - Response Authenticator = MD5(Code + Identifier + Length + Request Authenticator + Attributes +
 *   Secret) (RFC 2865 §3; RFC 2866 §3; RFC 5176 §2.3 for CoA/Disconnect ACK/NAK).
 * - Accounting-Request, CoA-Request, Disconnect-Request: Request Authenticator = the same MD5 with
 *   16 zero octets in place of the authenticator (RFC 2866 §3, RFC 5176 §2.3).
 * - Message-Authenticator = HMAC-MD5(Secret, whole packet) with its own value as 16 zero octets
 *   (RFC 2869 §5.14, RFC 3579 §3.2). The header authenticator is: the Request Authenticator for
 *   Access-Request/Status-Server and for Access-*, CoA-* and Disconnect-* responses (RFC 3579 §3.2,
 *   RFC 5176 §3.4); 16 zero octets for Accounting-, CoA- and Disconnect-Request (RFC 5176 §3.4).
 *   Accounting-Response: RFC 2866 defines no Message-Authenticator; in reply to Status-Server it uses
 *   the Status-Server's Request Authenticator (RFC 5997 §3), otherwise 16 zero octets like the
 *   Accounting-Request it answers (what FreeRADIUS computes and verifies).
 *   It is computed BEFORE the MD5 authenticator, which then covers it.
 * - Comparisons are constant time (crypto.timingSafeEqual over equal-length buffers), never by
 *   string conversion.
 * - `packet` is exactly Length octets (trailing datagram padding removed by the caller).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HASHED_REQUEST_CODES, RADIUS_CODES, TYPE_MESSAGE_AUTHENTICATOR } from './dictionary.ts';

export const AUTH_OFFSET = 4;
export const AUTH_LENGTH = 16;
export const HEADER_LENGTH = 20;
export const ZERO_AUTHENTICATOR: Buffer = Buffer.alloc(AUTH_LENGTH);
const ACCOUNTING_RESPONSE = RADIUS_CODES['Accounting-Response'];
const STATUS_SERVER = RADIUS_CODES['Status-Server'];

/** MD5(Code + Identifier + Length + authenticator + Attributes + Secret). */
export function packetDigest(packet: Buffer, authenticator: Buffer, secret: Buffer): Buffer {
  return createHash('md5')
    .update(packet.subarray(0, AUTH_OFFSET))
    .update(authenticator)
    .update(packet.subarray(HEADER_LENGTH))
    .update(secret)
    .digest();
}

/** Offsets of the values of top-level Message-Authenticator attributes (normally 0 or 1). */
export function messageAuthenticatorOffsets(packet: Buffer): number[] {
  const found: number[] = [];
  for (let off = HEADER_LENGTH; off + 2 <= packet.length;) {
    const type = packet[off];
    const len = packet[off + 1] ?? 0;
    if (len < 2) break;
    if (type === TYPE_MESSAGE_AUTHENTICATOR && len === 2 + AUTH_LENGTH) found.push(off + 2);
    off += len;
  }
  return found;
}

/**
 * The header authenticator the Message-Authenticator HMAC is computed over. `requestCode` is the
 * code of the request a response answers (only matters for Accounting-Response).
 */
export function hmacAuthenticatorField(code: number, requestAuthenticator: Buffer, requestCode?: number): Buffer {
  if (HASHED_REQUEST_CODES.has(code)) return ZERO_AUTHENTICATOR;
  if (code === ACCOUNTING_RESPONSE && requestCode !== STATUS_SERVER) return ZERO_AUTHENTICATOR;
  return requestAuthenticator;
}

/** Reused for the zeroed copy a received packet is checked over (no allocation per packet). */
const SCRATCH = Buffer.alloc(4096);

/**
 * HMAC-MD5 over `packet` with `authenticator` in the header and the value at `valueOffset` zeroed.
 * `packet` is not modified: the copy is made in a module scratch buffer, used synchronously.
 */
export function messageAuthenticator(
  packet: Buffer,
  authenticator: Buffer,
  valueOffset: number,
  secret: Buffer,
): Buffer {
  const copy = packet.length <= SCRATCH.length ? SCRATCH.subarray(0, packet.length) : Buffer.alloc(packet.length);
  packet.copy(copy);
  authenticator.copy(copy, AUTH_OFFSET);
  copy.fill(0, valueOffset, valueOffset + AUTH_LENGTH);
  return createHmac('md5', secret).update(copy).digest();
}

/**
 * Signs a packet being encoded in place: writes `authenticator` into the header and the HMAC-MD5
 * of the packet into the (zero) Message-Authenticator value at `valueOffset` — the same octets
 * messageAuthenticator() hashes, without a copy. The caller writes the final header
 * authenticator afterwards (RFC 3579 §3.2, RFC 5176 §3.4 order).
 */
export function signMessageAuthenticator(packet: Buffer, authenticator: Buffer, valueOffset: number, secret: Buffer): void {
  authenticator.copy(packet, AUTH_OFFSET);
  packet.fill(0, valueOffset, valueOffset + AUTH_LENGTH);
  createHmac('md5', secret).update(packet).digest().copy(packet, valueOffset);
}

/** Constant-time equality of two authenticators (lengths are public: always 16). */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
