/**
 * Verification of received packets: Request Authenticator, Response Authenticator, Message-Authenticator.
 *
 * Rules:
 * - Access-Request: a present Message-Authenticator must be the HMAC-MD5 of the packet with its value
 *   zeroed (RFC 3579 §3.2). A missing one is rejected when the NAS is set to require it (BlastRADIUS,
 *   CVE-2024-3596), when the request carries EAP-Message (RFC 3579 §3.3), or — the fallback for NAS
 *   that cannot send it yet — when `limitProxyState` is set and the request carries Proxy-State.
 * - Status-Server must carry a valid Message-Authenticator (RFC 5997 §3).
 * - Accounting-, CoA-, Disconnect-Request: Request Authenticator = MD5 over the packet with a zero
 *   authenticator (RFC 2866 §3, RFC 5176 §2.3); a Message-Authenticator, if present, is the HMAC with
 *   the authenticator field zeroed (RFC 5176 §3.4).
 * - Responses we receive (CoA/Disconnect ACK/NAK, Access-*, Accounting-Response): Response
 *   Authenticator keyed on our Request Authenticator (RFC 2865 §3); Message-Authenticator checked
 *   over the same header as it is signed (authenticator.ts) and required in Access-Accept/Reject/
 *   Challenge and with EAP-Message.
 * - At most one Message-Authenticator. Every comparison is crypto.timingSafeEqual over 16 octets.
 * - Failure throws AppError ERR_RADIUS_AUTHENTICATOR (the caller discards silently, RFC 2865 §3);
 *   a packet that is not of the expected kind throws ERR_RADIUS_MALFORMED.
 */
import { AppError } from '../../platform/errors.ts';
import { HASHED_REQUEST_CODES, RESPONSE_CODES } from './dictionary.ts';
import {
  AUTH_LENGTH,
  AUTH_OFFSET,
  constantTimeEqual,
  hmacAuthenticatorField,
  messageAuthenticator,
  messageAuthenticatorOffsets,
  packetDigest,
  ZERO_AUTHENTICATOR,
} from './authenticator.ts';
import { decodePacket, type DecodedPacket } from './decode.ts';
import { secretBytes, type Secret } from './password.ts';

export interface VerifyRequestOptions {
  /** Per-NAS setting: reject an Access-Request without Message-Authenticator. */
  requireMessageAuthenticator: boolean;
  /** Fallback while a NAS cannot send Message-Authenticator: reject Proxy-State without it. */
  limitProxyState?: boolean;
}

export interface VerifyResponseOptions {
  /** Default: true for Access-Accept/Reject/Challenge, false otherwise. */
  requireMessageAuthenticator?: boolean;
  /** Code of our request; an Accounting-Response to Status-Server is signed differently. */
  requestCode?: number;
}

const fail = (why: string) => new AppError('ERR_RADIUS_AUTHENTICATOR', `RADIUS packet rejected: ${why}`);
const NEEDS_MA_IN_RESPONSE: ReadonlySet<number> = new Set([2, 3, 11]);

/** The single Message-Authenticator value offset, or undefined; more than one is rejected. */
function singleMessageAuthenticator(packet: Buffer): number | undefined {
  const offsets = messageAuthenticatorOffsets(packet);
  if (offsets.length > 1) throw fail('more than one Message-Authenticator');
  return offsets[0];
}

function checkMessageAuthenticator(packet: Buffer, headerAuth: Buffer, offset: number, secret: Buffer): void {
  const expected = messageAuthenticator(packet, headerAuth, offset, secret);
  if (!constantTimeEqual(expected, packet.subarray(offset, offset + AUTH_LENGTH))) {
    throw fail('Message-Authenticator mismatch');
  }
}

function packetOf(datagram: Buffer, decoded: DecodedPacket): Buffer {
  const packet = datagram.subarray(0, decoded.length);
  if (packet.length !== decoded.length || packet[0] !== decoded.code) {
    throw new AppError('ERR_RADIUS_MALFORMED', 'decoded packet does not match the datagram');
  }
  return packet;
}

/** Verifies a request received from a NAS (or a proxy); throws ERR_RADIUS_AUTHENTICATOR on failure. */
export function verifyRequest(
  datagram: Buffer,
  decoded: DecodedPacket,
  secret: Secret,
  opts: VerifyRequestOptions,
): void {
  const packet = packetOf(datagram, decoded);
  const key = secretBytes(secret);
  const ma = singleMessageAuthenticator(packet);
  if (decoded.code === 1 || decoded.code === 12) {
    if (ma !== undefined) return checkMessageAuthenticator(packet, decoded.authenticator, ma, key);
    if (decoded.code === 12) throw fail('Status-Server without Message-Authenticator (RFC 5997 §3)');
    if (opts.requireMessageAuthenticator) throw fail('Message-Authenticator required for this client');
    if (decoded.has('EAP-Message')) throw fail('EAP-Message without Message-Authenticator (RFC 3579 §3.3)');
    if (opts.limitProxyState && decoded.has('Proxy-State')) throw fail('Proxy-State without Message-Authenticator');
    return;
  }
  if (!HASHED_REQUEST_CODES.has(decoded.code)) {
    throw new AppError('ERR_RADIUS_MALFORMED', `${decoded.codeName} is not a request`);
  }
  const expected = packetDigest(packet, ZERO_AUTHENTICATOR, key);
  if (!constantTimeEqual(expected, decoded.authenticator)) throw fail('Request Authenticator mismatch');
  if (ma !== undefined) checkMessageAuthenticator(packet, ZERO_AUTHENTICATOR, ma, key);
}

/** Decodes and verifies a response to a request we sent with `requestAuthenticator`. */
export function verifyResponse(
  datagram: Buffer,
  requestAuthenticator: Buffer,
  secret: Secret,
  opts: VerifyResponseOptions = {},
): DecodedPacket {
  const decoded = decodePacket(datagram);
  if (!RESPONSE_CODES.has(decoded.code))
    throw new AppError('ERR_RADIUS_MALFORMED', `${decoded.codeName} is not a response`);
  if (!Buffer.isBuffer(requestAuthenticator) || requestAuthenticator.length !== AUTH_LENGTH) {
    throw new AppError('ERR_BAD_INPUT', 'Request Authenticator must be 16 octets');
  }
  const packet = packetOf(datagram, decoded);
  const key = secretBytes(secret);
  const expected = packetDigest(packet, requestAuthenticator, key);
  if (!constantTimeEqual(expected, packet.subarray(AUTH_OFFSET, AUTH_OFFSET + AUTH_LENGTH))) {
    throw fail('Response Authenticator mismatch');
  }
  const ma = singleMessageAuthenticator(packet);
  if (ma !== undefined) {
    checkMessageAuthenticator(
      packet,
      hmacAuthenticatorField(decoded.code, requestAuthenticator, opts.requestCode),
      ma,
      key,
    );
  } else if (
    (opts.requireMessageAuthenticator ?? NEEDS_MA_IN_RESPONSE.has(decoded.code)) ||
    decoded.has('EAP-Message')
  ) {
    throw fail('Message-Authenticator missing');
  }
  return decoded;
}
