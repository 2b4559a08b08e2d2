/**
 * Typed attribute values <-> attribute value octets (no tag, no encryption, no splitting).
 *
 * Rules (RFC 8044 data types, RFC 2865 §5):
 * - integer: 4 octets, unsigned big-endian, 0..2^32-1; a name from the dictionary's `values`
 *   may be given instead of the number (Tunnel-Type 'VLAN' -> 13).
 * - tagged-integer (RFC 2868 §3.1, §3.2): 3 octets after the tag, 0..2^24-1.
 * - ipaddr: 4 octets; ipv6addr: 16 octets (RFC 3162 §2.3); written from text or raw bytes.
 * - date: 4 octets, seconds since 1970-01-01 UTC (RFC 2865 §5 "time").
 * - string: text is sent as UTF-8 without a terminating NUL; octets: bytes as given.
 * - Anything else is a caller bug: AppError ERR_BAD_INPUT, never a silently wrong value.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { AppError } from '../../platform/errors.ts';
import type { AttributeDef } from './dictionary.ts';

export type AttributeValue = string | number | Buffer | Date;

/** Value octets a valid attribute of this type must have (tag included for tagged-integer). */
export const FIXED_LENGTH: Readonly<Partial<Record<AttributeDef['valueType'], number>>> = {
  integer: 4,
  'tagged-integer': 4,
  ipaddr: 4,
  ipv6addr: 16,
  date: 4,
};

const bad = (def: AttributeDef, why: string) => new AppError('ERR_BAD_INPUT', `${def.name}: ${why}`);

function uint(def: AttributeDef, value: AttributeValue, octets: 3 | 4): Buffer {
  const n = typeof value === 'string' ? def.values?.[value] : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= 2 ** (8 * octets)) {
    throw bad(def, `expected an unsigned ${8 * octets}-bit integer${def.values ? ' or a known name' : ''}`);
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return octets === 4 ? out : out.subarray(1);
}

function ipv4Bytes(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function ipv6Bytes(text: string): Buffer {
  let s = text;
  const last = s.lastIndexOf(':');
  const tail = s.slice(last + 1);
  if (tail.includes('.')) {
    const v4 = ipv4Bytes(tail);
    s = `${s.slice(0, last + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [headText = '', tailText] = s.split('::');
  const head = headText ? headText.split(':') : [];
  const rest = tailText ? tailText.split(':') : [];
  const fill = tailText === undefined ? 0 : 8 - head.length - rest.length;
  const words = [...head, ...Array<string>(fill).fill('0'), ...rest];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), 2 * i));
  return out;
}

function address(def: AttributeDef, value: AttributeValue, octets: 4 | 16): Buffer {
  if (Buffer.isBuffer(value)) {
    if (value.length !== octets) throw bad(def, `expected ${octets} octets`);
    return Buffer.from(value);
  }
  if (typeof value === 'string' && octets === 4 && isIPv4(value)) return ipv4Bytes(value);
  if (typeof value === 'string' && octets === 16 && isIPv6(value) && !value.includes('%')) return ipv6Bytes(value);
  throw bad(def, `expected an IPv${octets === 4 ? 4 : 6} address`);
}

function bytes(def: AttributeDef, value: AttributeValue): Buffer {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw bad(def, 'expected a string or a Buffer');
}

/** Plain value octets for `def` (before tagging, encryption and splitting). */
export function valueToBytes(def: AttributeDef, value: AttributeValue): Buffer {
  switch (def.valueType) {
    case 'integer':
      return uint(def, value, 4);
    case 'tagged-integer':
      return uint(def, value, 3);
    case 'ipaddr':
      return address(def, value, 4);
    case 'ipv6addr':
      return address(def, value, 16);
    case 'date': {
      const secs = value instanceof Date ? Math.floor(value.getTime() / 1000) : value;
      return uint(def, typeof secs === 'number' ? secs : NaN, 4);
    }
    case 'string':
    case 'octets':
    case 'tagged-string':
    case 'vsa':
      return bytes(def, value);
  }
}

/** Unsigned big-endian integer of 1..4 octets (4 for integer/date, 3 for tagged-integer). */
export function bytesToUint(value: Buffer): number {
  if (value.length < 1 || value.length > 4) {
    throw new AppError('ERR_RADIUS_MALFORMED', 'integer attribute has a bad length');
  }
  return value.readUIntBE(0, value.length);
}

/** Text form of a 4-octet (IPv4) or 16-octet (IPv6, compressed per RFC 5952) address. */
export function bytesToAddress(value: Buffer): string {
  if (value.length === 4) return [...value].join('.');
  if (value.length === 16) {
    const words = Array.from({ length: 8 }, (_, i) => value.readUInt16BE(2 * i).toString(16));
    return new URL(`http://[${words.join(':')}]/`).hostname.slice(1, -1);
  }
  throw new AppError('ERR_RADIUS_MALFORMED', 'address attribute has a bad length');
}
