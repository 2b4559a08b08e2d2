/**
 * DER encoder on plain Buffers (no schema objects): every function returns one complete TLV.
 *
 * Rules enforced:
 * - Definite, minimal lengths; short form below 128 (X.690 §8.1.3, §10.1).
 * - Single-octet identifiers only (tag numbers 0..30); higher numbers are refused (X.690 §8.1.2).
 * - INTEGER is minimal two's complement; an unsigned magnitude with its top bit set gets one 0x00
 *   (X.690 §8.3.2), so a 20-octet serial may take 21 content octets (RFC 5280 §4.1.2.2).
 * - BOOLEAN TRUE is 0xFF (X.690 §11.1); BIT STRING unused bits are zero (§11.2.1) and named bit
 *   lists drop trailing zero bits (§11.2.2); SET OF is sorted by encoding (§11.6).
 * - OIDs: first arc 0..2, second arc < 40 under 0 and 1, base-128 minimal arcs (X.690 §8.19).
 * - PrintableString / IA5String character sets (X.680 §41); UTF8String must be well-formed.
 * - Validity times (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ for 1950..2049, GeneralizedTime
 *   YYYYMMDDHHMMSSZ otherwise, always with seconds, never fractions; 99991231235959Z supported.
 * Invalid input throws AppError('ERR_BAD_INPUT'). Buffers returned by oid() are cached and shared:
 * treat every returned Buffer as read-only.
 */
import { AppError } from '../../platform/errors.ts';

const bad = (msg: string): AppError => new AppError('ERR_BAD_INPUT', msg);

function lengthOfLength(len: number): number {
  if (len < 0x80) return 1;
  if (len < 0x100) return 2;
  if (len < 0x10000) return 3;
  if (len < 0x1000000) return 4;
  return 5;
}

function writeLength(out: Buffer, at: number, len: number): void {
  const n = lengthOfLength(len);
  if (n === 1) {
    out[at] = len;
    return;
  }
  out[at] = 0x80 | (n - 1);
  for (let i = n - 1; i >= 1; i--) {
    out[at + i] = len & 0xff;
    len = Math.floor(len / 256);
  }
}

/** The DER length octets for a content length (X.690 §8.1.3). */
export function encodeLength(len: number): Buffer {
  if (!Number.isSafeInteger(len) || len < 0 || len > 0xffffffff) throw bad('DER length out of range');
  const out = Buffer.allocUnsafe(lengthOfLength(len));
  writeLength(out, 0, len);
  return out;
}

/** One TLV: `tag` is the whole identifier octet (class | constructed | number), contents concatenated. */
export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) throw bad('unsupported DER tag');
  let len = 0;
  for (const c of contents) len += c.length;
  const hl = 1 + lengthOfLength(len);
  const out = Buffer.allocUnsafe(hl + len);
  out[0] = tag;
  writeLength(out, 1, len);
  let at = hl;
  for (const c of contents) at += c.copy(out, at);
  return out;
}

export const seq = (...children: Buffer[]): Buffer => tlv(0x30, ...children);

/** SET OF with the DER ordering of X.690 §11.6 (children compared as octet strings). */
export function set(...children: Buffer[]): Buffer {
  return tlv(0x31, ...(children.length > 1 ? [...children].sort(Buffer.compare) : children));
}

/** INTEGER from a bigint/number (signed) or a Buffer holding an unsigned big-endian magnitude. */
export function integer(v: bigint | number | Buffer): Buffer {
  if (Buffer.isBuffer(v)) {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const mag = v.length === 0 ? Buffer.alloc(1) : v.subarray(i);
    return (mag[0] as number) & 0x80 ? tlv(0x02, ZERO, mag) : tlv(0x02, mag);
  }
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw bad('INTEGER must be a safe integer');
    if (v >= 0 && v < 0x80) return Buffer.from([0x02, 0x01, v]);
    v = BigInt(v);
  }
  if (v >= 0n) {
    const hex = v.toString(16);
    const mag = Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
    return (mag[0] as number) & 0x80 ? tlv(0x02, ZERO, mag) : tlv(0x02, mag);
  }
  let n = 1;
  while (v < -(1n << BigInt(8 * n - 1))) n++;
  const hex = ((1n << BigInt(8 * n)) + v).toString(16).padStart(2 * n, '0');
  return tlv(0x02, Buffer.from(hex, 'hex'));
}
const ZERO = Buffer.from([0]);

export const enumerated = (v: number): Buffer => {
  const i = integer(v);
  i[0] = 0x0a;
  return i;
};

const OID_RE = /^[0-2](?:\.(?:0|[1-9]\d*))+$/;
const oidCache = new Map<string, Buffer>();
const OID_CACHE_MAX = 2048;

/** OBJECT IDENTIFIER from dotted form; encodings are cached (bounded) and shared. */
export function oid(dotted: string): Buffer {
  const hit = oidCache.get(dotted);
  if (hit) return hit;
  if (typeof dotted !== 'string' || dotted.length > 512 || !OID_RE.test(dotted)) throw bad('invalid OID');
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [a0, a1] = arcs as [bigint, bigint];
  if (a0 < 2n && a1 >= 40n) throw bad('invalid OID: second arc must be < 40');
  const bytes: number[] = [];
  for (const arc of [a0 * 40n + a1, ...arcs.slice(2)]) {
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let x = arc >> 7n; x > 0n; x >>= 7n) groups.unshift(Number(x & 0x7fn) | 0x80);
    bytes.push(...groups);
  }
  const out = tlv(0x06, Buffer.from(bytes));
  if (oidCache.size < OID_CACHE_MAX) oidCache.set(dotted, out);
  return out;
}

export const bool = (v: boolean): Buffer => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
export const nullDer = (): Buffer => Buffer.from([0x05, 0x00]);
export const octetString = (b: Buffer): Buffer => tlv(0x04, b);

/** BIT STRING; the `unusedBits` low bits of the last octet must be zero (X.690 §11.2.1). */
export function bitString(b: Buffer, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) throw bad('BIT STRING unused bits 0..7');
  if (b.length === 0 && unusedBits !== 0) throw bad('empty BIT STRING has no unused bits');
  if (unusedBits && (b[b.length - 1] as number) & ((1 << unusedBits) - 1)) throw bad('BIT STRING padding not zero');
  return tlv(0x03, Buffer.from([unusedBits]), b);
}

/** A named-bit-list BIT STRING (e.g. KeyUsage) from bit numbers, trailing zero bits removed (§11.2.2). */
export function namedBits(bits: readonly number[]): Buffer {
  let max = -1;
  for (const n of bits) {
    if (!Number.isInteger(n) || n < 0 || n > 255) throw bad('bit number out of range');
    if (n > max) max = n;
  }
  const body = Buffer.alloc(max < 0 ? 0 : (max >> 3) + 1);
  for (const n of bits) body[n >> 3] = (body[n >> 3] as number) | (0x80 >> (n & 7));
  return bitString(body, max < 0 ? 0 : 7 - (max & 7));
}

const PRINTABLE_RE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
// eslint-disable-next-line no-control-regex
const IA5_RE = /^[\x00-\x7f]*$/;
const LONE_SURROGATE_RE = /\p{Cs}/u;

export function utf8String(s: string): Buffer {
  if (LONE_SURROGATE_RE.test(s)) throw bad('UTF8String is not well-formed');
  return tlv(0x0c, Buffer.from(s, 'utf8'));
}
export function printableString(s: string): Buffer {
  if (!PRINTABLE_RE.test(s)) throw bad('character not allowed in PrintableString');
  return tlv(0x13, Buffer.from(s, 'latin1'));
}
export function ia5String(s: string): Buffer {
  if (!IA5_RE.test(s)) throw bad('character not allowed in IA5String');
  return tlv(0x16, Buffer.from(s, 'latin1'));
}

/** notAfter for "no well-defined expiration date" (RFC 5280 §4.1.2.5): 99991231235959Z. */
export const NO_WELL_DEFINED_EXPIRATION = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

const p2 = (n: number): string => (n < 10 ? '0' : '') + n;
function timeDigits(d: Date): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw bad('invalid date');
  return (
    p2(d.getUTCMonth() + 1) + p2(d.getUTCDate()) + p2(d.getUTCHours()) + p2(d.getUTCMinutes()) + p2(d.getUTCSeconds())
  );
}

/** UTCTime YYMMDDHHMMSSZ; only years 1950..2049 (RFC 5280 §4.1.2.5.1). Milliseconds are dropped. */
export function utcTime(d: Date): Buffer {
  const s = timeDigits(d);
  const y = d.getUTCFullYear();
  if (y < 1950 || y > 2049) throw bad('UTCTime covers 1950..2049 only');
  return tlv(0x17, Buffer.from(p2(y % 100) + s + 'Z', 'latin1'));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ, no fraction (RFC 5280 §4.1.2.5.2). Milliseconds are dropped. */
export function generalizedTime(d: Date): Buffer {
  const s = timeDigits(d);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw bad('GeneralizedTime covers years 0000..9999');
  return tlv(0x18, Buffer.from(String(y).padStart(4, '0') + s + 'Z', 'latin1'));
}

/** The RFC 5280 Time CHOICE: UTCTime through 2049, GeneralizedTime before 1950 and from 2050. */
export function time(d: Date): Buffer {
  const y = d instanceof Date ? d.getUTCFullYear() : NaN;
  return y >= 1950 && y <= 2049 ? utcTime(d) : generalizedTime(d);
}

function checkTagNo(tagNo: number): void {
  if (!Number.isInteger(tagNo) || tagNo < 0 || tagNo > 30) throw bad('context tag number must be 0..30');
}

/** [tagNo] EXPLICIT: a constructed context tag wrapping complete encodings. */
export function explicit(tagNo: number, ...contents: Buffer[]): Buffer {
  checkTagNo(tagNo);
  return tlv(0xa0 | tagNo, ...contents);
}

/** [tagNo] IMPLICIT: re-tags a complete single-octet-identifier encoding, keeping its constructed bit. */
export function implicit(tagNo: number, encoded: Buffer): Buffer {
  checkTagNo(tagNo);
  if (encoded.length < 2 || ((encoded[0] as number) & 0x1f) === 0x1f) throw bad('implicit needs a complete TLV');
  const out = Buffer.from(encoded);
  out[0] = 0x80 | ((encoded[0] as number) & 0x20) | tagNo;
  return out;
}

/** A primitive [tagNo] IMPLICIT value from raw content octets (e.g. GeneralName dNSName [2]). */
export function contextPrimitive(tagNo: number, content: Buffer): Buffer {
  checkTagNo(tagNo);
  return tlv(0x80 | tagNo, content);
}
