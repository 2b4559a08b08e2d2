/**
 * Strict, bounded DER reader over Buffers. Every failure is AppError('ERR_DER_MALFORMED').
 *
 * Rules enforced:
 * - Definite lengths only: indefinite (0x80) and reserved (0xFF) forms refused (X.690 §10.1);
 *   lengths are minimal (no leading 0x00 octet, long form only from 128) and at most 4 octets;
 *   a length running past its parent (or the buffer) is refused.
 * - Identifiers: high tag numbers (>= 31) are decoded, must be minimal and < 2^21 (X.690 §8.1.2.4);
 *   universal tag 0 (end-of-contents) is refused; SEQUENCE/SET must be constructed, and the
 *   primitive universal types (INTEGER, BIT/OCTET STRING, OID, strings, times ...) primitive
 *   (X.690 §10.2).
 * - INTEGER minimal (§8.3.2); BOOLEAN is 0x00/0xFF (§11.1); NULL empty (§8.8); BIT STRING unused
 *   bits 0..7 and zero (§11.2); OID arcs minimal, last octet terminated (§8.19.2).
 * - Times (RFC 5280 §4.1.2.5, X.690 §11.7/§11.8): UTCTime YYMMDDHHMMSSZ (YY < 50 is 20YY);
 *   GeneralizedTime YYYYMMDDHHMMSS[.f]Z, fraction without trailing zeros; calendar-valid fields.
 * - Strings: UTF-8 well-formed, PrintableString/IA5/Visible/Numeric character sets, BMP even length.
 * - parseDerExact: exactly one TLV, no trailing bytes, every constructed node filled exactly by
 *   its children, nesting at most `maxDepth` (default 32).
 */
import { AppError } from '../../platform/errors.ts';

export type TagClass = 0 | 1 | 2 | 3; // universal, application, context-specific, private

export interface Tlv {
  id: number; // first identifier octet: 0x30 SEQUENCE, 0xa0 [0] constructed ...
  tag: number; // tag number within its class
  class: TagClass;
  constructed: boolean;
  start: number; // offset of the identifier octet
  headerLen: number;
  contentStart: number; // start + headerLen: first content octet
  len: number; // content length
  end: number; // one past the last content octet
}

export function fail(msg: string): never {
  throw new AppError('ERR_DER_MALFORMED', 'malformed DER: ' + msg);
}

// universal tag bit masks: 1-6, 9, 10, 12-14, 18-28, 30 are primitive (BOOLEAN ... BMPString);
// 8, 11, 16, 17, 29 constructed (EXTERNAL, EMBEDDED PDV, SEQUENCE, SET, CHARACTER STRING)
const PRIMITIVE_ONLY = 0x5ffc767e;
const CONSTRUCTED_ONLY = 0x20030900;

/** Reads the TLV at `offset`; it must end at or before `limit` (default: the buffer's end). */
export function readTlv(buf: Buffer, offset: number, limit: number = buf.length): Tlv {
  if (limit > buf.length) limit = buf.length;
  if (!(offset >= 0 && offset < limit)) return fail('truncated (no identifier)');
  let p = offset;
  const id = buf[p++] as number;
  const cls = (id >> 6) as TagClass;
  const constructed = (id & 0x20) !== 0;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let n = 0; ; n++) {
      if (p >= limit) return fail('truncated tag number');
      if (n === 3) return fail('tag number too large');
      const b = buf[p++] as number;
      if (n === 0 && b === 0x80) return fail('non-minimal tag number');
      tag = tag * 128 + (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (tag < 31) return fail('high-tag form for a low tag number');
  }
  if (p >= limit) return fail('truncated length');
  let len = buf[p++] as number;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) return fail('indefinite length');
    if (n > 4) return fail('length too large');
    if (p + n > limit) return fail('truncated length');
    if (buf[p] === 0) return fail('non-minimal length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p++] as number);
    if (len < 0x80) return fail('non-minimal length');
  }
  const end = p + len;
  if (end > limit) return fail('length past end of data');
  if (cls === 0 && tag === 0) return fail('end-of-contents octets');
  if (cls === 0 && tag < 31 && ((constructed ? PRIMITIVE_ONLY : CONSTRUCTED_ONLY) >>> tag) & 1) {
    return fail(constructed ? 'constructed encoding of a primitive type' : 'primitive SEQUENCE/SET');
  }
  return { id, tag, class: cls, constructed, start: offset, headerLen: p - offset, contentStart: p, len, end };
}

/** The complete encoding (header + content) of a TLV. */
export const rawOf = (buf: Buffer, t: Tlv): Buffer => buf.subarray(t.start, t.end);
/** The content octets of a TLV. */
export const contentOf = (buf: Buffer, t: Tlv): Buffer => buf.subarray(t.contentStart, t.end);

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } (RFC 5280 §4.1.1.2). */
export function readAlgorithmId(buf: Buffer, t: Tlv): { oid: string; params: Tlv | undefined } {
  const [o, params, ...rest] = children(buf, t, 0x30);
  if (!o || rest.length) fail('AlgorithmIdentifier');
  return { oid: readOid(buf, o), params };
}

/** Throws unless the TLV has the identifier octet `id`. */
export function expectId(t: Tlv, id: number, what: string): Tlv {
  if (t.id !== id) fail(`expected ${what}`);
  return t;
}

/** The children of a constructed TLV; they must fill its content exactly. */
export function children(buf: Buffer, t: Tlv, expectIdOf?: number): Tlv[] {
  if (expectIdOf !== undefined) expectId(t, expectIdOf, 'tag 0x' + expectIdOf.toString(16));
  if (!t.constructed) return fail('expected a constructed value');
  const out: Tlv[] = [];
  for (let p = t.contentStart; p < t.end;) {
    const c = readTlv(buf, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** Reads one TLV that must span the whole buffer; `deep` (default) validates every nested node. */
export function parseDerExact(buf: Buffer, opts: { deep?: boolean; maxDepth?: number } = {}): Tlv {
  if (!Buffer.isBuffer(buf)) return fail('input is not a Buffer');
  const top = readTlv(buf, 0);
  if (top.end !== buf.length) return fail('trailing data after DER value');
  if (opts.deep !== false) walk(buf, top, opts.maxDepth ?? 32);
  return top;
}

function walk(buf: Buffer, t: Tlv, depthLeft: number): void {
  if (!t.constructed) return;
  if (depthLeft <= 0) fail('nesting too deep');
  for (const c of children(buf, t)) walk(buf, c, depthLeft - 1);
}

/** INTEGER (or ENUMERATED) content octets, two's complement, validated minimal. */
export function readIntegerRaw(buf: Buffer, t: Tlv): Buffer {
  if (t.id !== 0x02 && t.id !== 0x0a) fail('expected INTEGER');
  if (t.len === 0) fail('empty INTEGER');
  const b0 = buf[t.contentStart] as number;
  if (t.len > 1) {
    const b1 = buf[t.contentStart + 1] as number;
    if ((b0 === 0 && !(b1 & 0x80)) || (b0 === 0xff && b1 & 0x80)) fail('non-minimal INTEGER');
  }
  return contentOf(buf, t);
}

/** INTEGER as a bigint. */
export function readInteger(buf: Buffer, t: Tlv): bigint {
  const c = readIntegerRaw(buf, t);
  if (c.length <= 6) return BigInt(c.readIntBE(0, c.length));
  const v = BigInt('0x' + c.toString('hex'));
  return (c[0] as number) & 0x80 ? v - (1n << BigInt(c.length * 8)) : v;
}

/** INTEGER that must fit a safe JS number (versions, pathLen, reason codes). */
export function readSmallInt(buf: Buffer, t: Tlv): number {
  const c = readIntegerRaw(buf, t);
  if (c.length > 6) return fail('INTEGER too large');
  return c.readIntBE(0, c.length);
}

/** Unsigned magnitude of a non-negative INTEGER, without the sign octet (RSA modulus, serial). */
export function readUnsigned(buf: Buffer, t: Tlv): Buffer {
  const c = readIntegerRaw(buf, t);
  if ((c[0] as number) & 0x80) return fail('negative INTEGER');
  return c.length > 1 && c[0] === 0 ? c.subarray(1) : c;
}

export function readBoolean(buf: Buffer, t: Tlv): boolean {
  if (t.id !== 0x01 || t.len !== 1) return fail('expected BOOLEAN');
  const v = buf[t.contentStart];
  if (v !== 0 && v !== 0xff) return fail('BOOLEAN not 0x00/0xFF');
  return v === 0xff;
}

export function readNull(_buf: Buffer, t: Tlv): null {
  if (t.id !== 0x05 || t.len !== 0) fail('expected NULL');
  return null;
}

export function readOctetString(buf: Buffer, t: Tlv): Buffer {
  if (t.id !== 0x04) fail('expected OCTET STRING');
  return contentOf(buf, t);
}

/** BIT STRING as its octets and the count of unused bits in the last octet. */
export function readBitString(buf: Buffer, t: Tlv): { unusedBits: number; bytes: Buffer } {
  if (t.id !== 0x03 || t.len === 0) return fail('expected BIT STRING');
  const unusedBits = buf[t.contentStart] as number;
  if (unusedBits > 7 || (t.len === 1 && unusedBits !== 0)) return fail('bad BIT STRING unused bits');
  if (unusedBits && (buf[t.end - 1] as number) & ((1 << unusedBits) - 1)) return fail('BIT STRING padding not zero');
  return { unusedBits, bytes: buf.subarray(t.contentStart + 1, t.end) };
}

/** OBJECT IDENTIFIER to dotted form; arcs beyond 2^53 are decoded exactly with bigint. */
export function readOid(buf: Buffer, t: Tlv): string {
  if (t.id !== 0x06 || t.len === 0) return fail('expected OBJECT IDENTIFIER');
  if ((buf[t.end - 1] as number) & 0x80) return fail('truncated OID arc');
  let out = '';
  let v = 0;
  let big: bigint | null = null;
  let first = true;
  for (let p = t.contentStart; p < t.end; p++) {
    const b = buf[p] as number;
    if (b === 0x80 && (p === t.contentStart || !((buf[p - 1] as number) & 0x80))) return fail('non-minimal OID arc');
    if (big !== null) big = (big << 7n) | BigInt(b & 0x7f);
    else if (v >= 2 ** 45) big = (BigInt(v) << 7n) | BigInt(b & 0x7f);
    else v = v * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      first = false;
      if (big !== null) out = '2.' + (big - 80n).toString();
      else out = v < 40 ? '0.' + v : v < 80 ? '1.' + (v - 40) : '2.' + (v - 80);
    } else out += '.' + (big !== null ? big.toString() : v);
    v = 0;
    big = null;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const CHARSETS: Record<number, RegExp> = {
  0x12: /^[0-9 ]*$/,
  0x13: /^[A-Za-z0-9 '()+,\-./:=?]*$/,
  0x16: /^[\x00-\x7f]*$/, // eslint-disable-line no-control-regex
  0x1a: /^[\x20-\x7e]*$/,
};

/** A string type's value: UTF8, Printable, IA5, Visible, Numeric, Teletex (as Latin-1), BMP. */
export function readString(buf: Buffer, t: Tlv): string {
  const c = contentOf(buf, t);
  switch (t.id) {
    case 0x0c:
      try {
        return utf8.decode(c);
      } catch {
        return fail('invalid UTF-8');
      }
    case 0x12:
    case 0x13:
    case 0x16:
    case 0x1a: {
      const s = c.toString('latin1');
      if (!(CHARSETS[t.id] as RegExp).test(s)) return fail('character outside the string type');
      return s;
    }
    case 0x14:
      return c.toString('latin1');
    case 0x1e: {
      const s = c.length % 2 ? fail('odd BMPString length') : Buffer.from(c).swap16().toString('utf16le');
      return /\p{Cs}/u.test(s) ? fail('BMPString with surrogates') : s;
    }
    default:
      return fail('expected a string type');
  }
}

const UTC_RE = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GEN_RE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/;

/** UTCTime or GeneralizedTime as a Date (millisecond precision). */
export function readTime(buf: Buffer, t: Tlv): Date {
  const s = contentOf(buf, t).toString('latin1');
  const m = t.id === 0x17 ? UTC_RE.exec(s) : t.id === 0x18 ? GEN_RE.exec(s) : fail('expected a time');
  if (!m) return fail('bad time format');
  let y = Number(m[1]);
  if (t.id === 0x17) y += y < 50 ? 2000 : 1900;
  const [mo, d, h, mi, sec] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const ms = m[7] ? Math.floor(Number('0.' + m[7]) * 1000) : 0;
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, sec, ms));
  date.setUTCFullYear(y);
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59 || date.getUTCDate() !== d || date.getUTCMonth() !== mo - 1) {
    return fail('time field out of range');
  }
  return date;
}
