/**
 * Certificate serial numbers.
 *
 * Rules enforced:
 * - RFC 5280 §4.1.2.2: the serial is a positive INTEGER, unique per issuer, at most 20 octets of
 *   content. CA/B Forum BR §7.1: at least 64 bits of CSPRNG output. We draw 16 bytes from the
 *   CSPRNG and clear the top bit: 127 random bits and the DER INTEGER content is at most 16
 *   octets (a sign octet is only ever needed after leading zero octets were dropped).
 * - A zero value is redrawn (a serial must be non-zero, RFC 5280 §4.1.2.2).
 * - Fewer than 8 content octets (the top 64 bits all zero, probability 2^-63) is redrawn too, so
 *   every serial satisfies the lint rule "8..20 octets of content".
 * - Text form (database, APIs, IssuedCert.serial): lowercase hex of the magnitude without leading
 *   zeros. normalizeSerial() accepts upper case, `:` separators and leading zeros from operators
 *   and refuses anything that is not a positive hex number of at most 20 octets (ERR_BAD_INPUT).
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../platform/errors.ts';

export interface Serial {
  /** Unsigned big-endian magnitude without leading zero octets. */
  bytes: Buffer;
  /** Lowercase hex, no leading zeros. */
  hex: string;
}

export const SERIAL_RANDOM_BYTES = 16;
const MIN_CONTENT_OCTETS = 8;

/** A fresh 127-bit CSPRNG serial (see the rules above). */
export function newSerial(): Serial {
  for (;;) {
    const b = randomBytes(SERIAL_RANDOM_BYTES);
    b[0] = (b[0] as number) & 0x7f;
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    if (b.length - i < MIN_CONTENT_OCTETS) continue; // also refuses zero
    const bytes = b.subarray(i);
    return { bytes, hex: serialHex(bytes) };
  }
}

/** Lowercase hex of an unsigned magnitude, leading zeros removed ('0' for zero). */
export function serialHex(magnitude: Buffer): string {
  const h = magnitude.toString('hex').replace(/^0+/, '');
  return h === '' ? '0' : h;
}

/** Canonical text form of an operator- or protocol-supplied serial; throws ERR_BAD_INPUT. */
export function normalizeSerial(input: string): string {
  if (typeof input !== 'string' || input.length > 80) throw new AppError('ERR_BAD_INPUT', 'invalid serial number');
  const s = input.trim().replace(/:/g, '').toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]+$/.test(s)) throw new AppError('ERR_BAD_INPUT', 'serial number must be hexadecimal');
  const h = s.replace(/^0+/, '');
  if (h === '') throw new AppError('ERR_BAD_INPUT', 'serial number must be positive');
  // 20 content octets at most, including the sign octet a top-bit-set magnitude needs
  const octets = Math.ceil(h.length / 2) + (h.length % 2 === 0 && parseInt(h[0] as string, 16) >= 8 ? 1 : 0);
  if (octets > 20) throw new AppError('ERR_BAD_INPUT', 'serial number longer than 20 octets');
  return h;
}

/** The magnitude octets of a canonical hex serial. */
export function serialBytes(hex: string): Buffer {
  return Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
}
