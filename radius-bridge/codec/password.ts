/**
 * User-Password hiding and revealing (RFC 2865 §5.2).
 *
 * Rules:
 * - The password is padded with NUL octets to a multiple of 16 (at least 16) and is at most 128
 *   octets (RFC 2865 §5.2).
 * - b1 = MD5(S + RA), c(1) = p1 xor b1; b(i) = MD5(S + c(i-1)), c(i) = p(i) xor b(i); S is the
 *   shared secret and RA the Request Authenticator of the Access-Request carrying the attribute.
 * - On receipt the hidden value must be 16..128 octets and a multiple of 16, else ERR_RADIUS_MALFORMED;
 *   trailing NUL padding is removed from the revealed password.
 * - The secret must not be empty (fail closed: no default or blank shared secret).
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';

export type Secret = Buffer | string;

const BLOCK = 16;
const MAX_PASSWORD = 128;

export function secretBytes(secret: Secret): Buffer {
  const s = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (!Buffer.isBuffer(s) || s.length === 0) throw new AppError('ERR_CONFIG', 'RADIUS shared secret is empty');
  return s;
}

export function checkAuthenticator(authenticator: Buffer): void {
  if (!Buffer.isBuffer(authenticator) || authenticator.length !== BLOCK) {
    throw new AppError('ERR_BAD_INPUT', 'Request Authenticator must be 16 octets');
  }
}

/**
 * The RFC 2865 §5.2 / RFC 2548 §2.4.2 keystream: block i is xored with MD5(S + previous cipher block),
 * the first with MD5(S + seed). `reveal` says whether `input` is the cipher text.
 */
export function md5Chain(input: Buffer, secret: Buffer, seed: Buffer, reveal: boolean): Buffer {
  const out = Buffer.alloc(input.length);
  let last = seed;
  for (let off = 0; off < input.length; off += BLOCK) {
    const b = createHash('md5').update(secret).update(last).digest();
    for (let i = 0; i < BLOCK; i++) out[off + i] = (input[off + i] ?? 0) ^ (b[i] ?? 0);
    last = (reveal ? input : out).subarray(off, off + BLOCK);
  }
  return out;
}

/** Hidden User-Password value for an Access-Request with this Request Authenticator. */
export function hideUserPassword(password: Buffer | string, secret: Secret, requestAuthenticator: Buffer): Buffer {
  const plain = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  checkAuthenticator(requestAuthenticator);
  if (plain.length > MAX_PASSWORD) throw new AppError('ERR_BAD_INPUT', 'User-Password longer than 128 octets');
  const padded = Buffer.alloc(Math.max(BLOCK, Math.ceil(plain.length / BLOCK) * BLOCK));
  plain.copy(padded);
  return md5Chain(padded, secretBytes(secret), requestAuthenticator, false);
}

/** The password from a hidden User-Password value, trailing NUL padding removed. */
export function revealUserPassword(hidden: Buffer, secret: Secret, requestAuthenticator: Buffer): Buffer {
  checkAuthenticator(requestAuthenticator);
  if (hidden.length < BLOCK || hidden.length > MAX_PASSWORD || hidden.length % BLOCK !== 0) {
    throw new AppError('ERR_RADIUS_MALFORMED', 'User-Password must be 16..128 octets, a multiple of 16');
  }
  const plain = md5Chain(hidden, secretBytes(secret), requestAuthenticator, true);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return plain.subarray(0, end);
}
