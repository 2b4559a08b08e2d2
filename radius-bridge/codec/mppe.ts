/**
 * MS-MPPE-Send-Key / MS-MPPE-Recv-Key salt encryption (RFC 2548 §2.4.2, §2.4.3).
 *
 * Rules:
 * - Attribute string = Salt (2 octets) + encrypted(Key-Length (1 octet) + Key + zero padding to a
 *   multiple of 16).
 * - The Salt's most significant bit MUST be set and each Salt in one packet MUST be unique
 *   (RFC 2548 §2.4.2): `SaltSource` hands out distinct random salts for one packet.
 * - b(1) = MD5(S + R + A), c(1) = p(1) xor b(1); b(i) = MD5(S + c(i-1)), c(i) = p(i) xor b(i),
 *   with S the shared secret, R the Request Authenticator of the Access-Request being answered
 *   and A the Salt.
 * - The whole vendor value must fit 247 octets, so a key is 1..239 octets (the MSK halves are 32).
 * - Decryption checks the shape (18+ octets, multiple of 16 after the salt, salt high bit, Key-Length
 *   inside the plaintext) and fails with ERR_RADIUS_MALFORMED; it cannot detect a wrong secret.
 */
import { randomInt } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { checkAuthenticator, md5Chain, secretBytes, type Secret } from './password.ts';

const BLOCK = 16;
const SALT_HIGH_BIT = 0x8000;
const MAX_KEY = 239;

function saltBuffer(salt: number): Buffer {
  if (!Number.isInteger(salt) || salt < SALT_HIGH_BIT || salt > 0xffff) {
    throw new AppError('ERR_BAD_INPUT', 'MPPE salt must be 0x8000..0xFFFF (high bit set)');
  }
  const out = Buffer.alloc(2);
  out.writeUInt16BE(salt);
  return out;
}

/** Salt-encrypted attribute value for `key` (RFC 2548 §2.4.2). */
export function encryptMppeKey(key: Buffer, secret: Secret, requestAuthenticator: Buffer, salt: number): Buffer {
  checkAuthenticator(requestAuthenticator);
  if (key.length < 1 || key.length > MAX_KEY) throw new AppError('ERR_BAD_INPUT', 'MPPE key must be 1..239 octets');
  const a = saltBuffer(salt);
  const plain = Buffer.alloc(Math.ceil((key.length + 1) / BLOCK) * BLOCK);
  plain[0] = key.length;
  key.copy(plain, 1);
  const seed = Buffer.concat([requestAuthenticator, a]);
  return Buffer.concat([a, md5Chain(plain, secretBytes(secret), seed, false)]);
}

/** The key from a salt-encrypted MS-MPPE-*-Key value. */
export function decryptMppeKey(value: Buffer, secret: Secret, requestAuthenticator: Buffer): Buffer {
  checkAuthenticator(requestAuthenticator);
  const malformed = (why: string) => new AppError('ERR_RADIUS_MALFORMED', `MS-MPPE key: ${why}`);
  if (value.length < 2 + BLOCK || (value.length - 2) % BLOCK !== 0) throw malformed('bad length');
  if (((value[0] ?? 0) & 0x80) === 0) throw malformed('salt high bit not set');
  const seed = Buffer.concat([requestAuthenticator, value.subarray(0, 2)]);
  const plain = md5Chain(value.subarray(2), secretBytes(secret), seed, true);
  const keyLength = plain[0] ?? 0;
  if (keyLength === 0 || keyLength > plain.length - 1) throw malformed('Key-Length out of range');
  return plain.subarray(1, 1 + keyLength);
}

/** Distinct random salts (high bit set) for the encrypted attributes of one packet. */
export class SaltSource {
  private readonly used = new Set<number>();

  next(): number {
    if (this.used.size >= 0x8000) throw new AppError('ERR_INTERNAL', 'MPPE salts exhausted');
    let salt: number;
    do salt = SALT_HIGH_BIT | randomInt(0, 0x8000);
    while (this.used.has(salt));
    this.used.add(salt);
    return salt;
  }
}
