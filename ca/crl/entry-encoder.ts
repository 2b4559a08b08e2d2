/**
 * The hot path of CRL building: revokedCertificates entries written straight into one growable
 * Buffer, no per-entry allocation (1,000,000 entries must build + sign in seconds).
 *
 * Rules enforced:
 * - RFC 5280 §5.1.2.6: each entry is SEQUENCE { userCertificate CertificateSerialNumber,
 *   revocationDate Time, crlEntryExtensions Extensions OPTIONAL }; the extensions SEQUENCE is
 *   omitted when empty.
 * - §4.1.2.2 / X.690 §8.3.2: the serial (lowercase or upper-case hex, leading zeros tolerated)
 *   becomes a minimal positive INTEGER of at most 20 magnitude octets (21 with the sign octet);
 *   anything else throws ERR_BAD_INPUT instead of writing a wrong serial.
 * - §5.1.2.4 / §4.1.2.5: revocationDate is UTCTime for 1950..2049, GeneralizedTime otherwise,
 *   whole seconds, `Z`.
 * - §5.3.1: reasonCode is ENUMERATED, non-critical, and omitted for unspecified (0); code 7 does
 *   not exist.
 * - §5.3.2: invalidityDate is always GeneralizedTime, non-critical.
 * An entry is at most 82 octets, so its SEQUENCE length always fits the short form (X.690 §8.1.3).
 */
import { AppError } from '../../platform/errors.ts';

const bad = (msg: string): AppError => new AppError('ERR_BAD_INPUT', msg);

/** Upper bound of one encoded entry (2 + 23 serial + 17 time + 2 + 12 reason + 26 invalidity). */
export const MAX_ENTRY_BYTES = 82;

// SEQUENCE { OID 2.5.29.21, OCTET STRING { ENUMERATED <code> } }
const REASON_EXT_PREFIX = Buffer.from([0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01]);
// SEQUENCE { OID 2.5.29.24, OCTET STRING { GeneralizedTime (15 chars) } }
const INVALIDITY_EXT_PREFIX = Buffer.from([0x30, 0x18, 0x06, 0x03, 0x55, 0x1d, 0x18, 0x04, 0x11, 0x18, 0x0f]);

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = HEX[0x41 + i] = 10 + i;

const UTC_MIN = -631_152_000; // 1950-01-01T00:00:00Z
const UTC_END = 2_524_608_000; // 2050-01-01T00:00:00Z
const GEN_END = 253_402_300_800; // 10000-01-01T00:00:00Z

/** A growable byte buffer with `head` octets reserved in front for headers written last. */
export class ByteSink {
  buf: Buffer;
  pos: number;
  constructor(
    readonly head: number,
    capacity: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(head + 256, Math.ceil(capacity)));
    this.pos = head;
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.pos + n, Math.ceil(this.buf.length * 1.5)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  put(b: Buffer): void {
    this.ensure(b.length);
    this.pos += b.copy(this.buf, this.pos);
  }
}

/** Civil date from days since 1970-01-01 (H. Hinnant's algorithm), packed as y*10000+m*100+d. */
function civil(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return (yoe + era * 400 + (m <= 2 ? 1 : 0)) * 10_000 + m * 100 + d;
}

function digits2(out: Buffer, at: number, n: number): void {
  out[at] = 0x30 + ((n / 10) | 0);
  out[at + 1] = 0x30 + (n % 10);
}

let lastDay = NaN;
let lastCivil = 0;

/** Writes a complete UTCTime/GeneralizedTime TLV for epoch seconds; returns the new offset. */
export function writeTime(out: Buffer, at: number, epochSeconds: number, generalized = false): number {
  const s = Math.floor(epochSeconds);
  if (!Number.isFinite(s) || s < -62_167_219_200 || s >= GEN_END) throw bad('revocation time out of range');
  const useGen = generalized || s < UTC_MIN || s >= UTC_END;
  const day = Math.floor(s / 86_400);
  if (day !== lastDay) {
    lastDay = day;
    lastCivil = civil(day);
  }
  const sod = s - day * 86_400;
  const y = Math.floor(lastCivil / 10_000);
  out[at] = useGen ? 0x18 : 0x17;
  out[at + 1] = useGen ? 15 : 13;
  let p = at + 2;
  if (useGen) {
    digits2(out, p, Math.floor(y / 100));
    p += 2;
  }
  digits2(out, p, y % 100);
  digits2(out, p + 2, Math.floor(lastCivil / 100) % 100);
  digits2(out, p + 4, lastCivil % 100);
  digits2(out, p + 6, Math.floor(sod / 3600));
  digits2(out, p + 8, Math.floor(sod / 60) % 60);
  digits2(out, p + 10, sod % 60);
  out[p + 12] = 0x5a; // 'Z'
  return p + 13;
}

/** Writes INTEGER <serial> from hex text; returns the new offset. */
export function writeSerial(out: Buffer, at: number, hex: string): number {
  const n = hex.length;
  let i = 0;
  while (i < n - 1 && hex.charCodeAt(i) === 0x30) i++;
  const digits = n - i;
  if (n === 0 || digits > 40) throw bad('serial number must be 1..20 octets of hex');
  const octets = (digits + 1) >> 1;
  let p = at + 2;
  // first nibble decides the sign octet (X.690 §8.3.2)
  const c0 = hex.charCodeAt(i);
  const first = c0 < 128 ? HEX[c0]! : -1;
  if (first < 0) throw bad('serial number must be hexadecimal');
  const topByte = digits % 2 ? first : first * 16 + (hex.charCodeAt(i + 1) < 128 ? HEX[hex.charCodeAt(i + 1)]! : -1);
  const sign = digits % 2 === 0 && topByte >= 0x80 ? 1 : 0;
  if (sign) out[p++] = 0;
  if (digits % 2) {
    out[p++] = first;
    i++;
  }
  for (; i < n; i += 2) {
    const a = hex.charCodeAt(i);
    const b = hex.charCodeAt(i + 1);
    const hi = a < 128 ? HEX[a]! : -1;
    const lo = b < 128 ? HEX[b]! : -1;
    if ((hi | lo) < 0) throw bad('serial number must be hexadecimal');
    out[p++] = hi * 16 + lo;
  }
  out[at] = 0x02;
  out[at + 1] = octets + sign;
  return p;
}

/**
 * Appends one revokedCertificates entry. `reason` is the RFC 5280 CRLReason code (-1 or 0:
 * no reasonCode extension); `invalidity` epoch seconds, NaN when unknown.
 */
export function writeEntry(
  sink: ByteSink,
  serial: string,
  revokedAt: number,
  reason: number,
  invalidity: number,
): void {
  sink.ensure(MAX_ENTRY_BYTES);
  const out = sink.buf;
  const start = sink.pos;
  let p = writeSerial(out, start + 2, serial);
  p = writeTime(out, p, revokedAt);
  const hasReason = reason > 0;
  const hasInvalidity = !Number.isNaN(invalidity);
  if (hasReason || hasInvalidity) {
    const extStart = p;
    p += 2;
    if (hasReason) {
      if (reason > 10 || reason === 7 || !Number.isInteger(reason)) throw bad('invalid CRLReason code');
      p += REASON_EXT_PREFIX.copy(out, p);
      out[p++] = reason;
    }
    if (hasInvalidity) {
      p += INVALIDITY_EXT_PREFIX.copy(out, p) - 2; // the time writer emits its own tag + length
      p = writeTime(out, p, invalidity, true);
    }
    out[extStart] = 0x30;
    out[extStart + 1] = p - extStart - 2;
  }
  out[start] = 0x30;
  out[start + 1] = p - start - 2;
  sink.pos = p;
}
