/**
 * IP addresses and CIDR prefixes for NAS matching.
 *
 * Rules:
 * - IPv4 dotted quad and IPv6 text (RFC 4291 §2.2, with "::" and an embedded IPv4 tail) are
 *   parsed to 4 / 16 octets; anything else is rejected (ERR_CONFIG at load, null at match time).
 * - An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is matched as the IPv4 address,
 *   so a dual-stack socket cannot dodge an IPv4 rule.
 * - A prefix matches when its first `bits` bits equal the address's; a bare address is /32 or /128.
 * - Zone ids (fe80::1%eth0) are dropped before matching.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { AppError } from '../../platform/errors.ts';

export interface Prefix {
  bytes: Buffer;
  bits: number;
  text: string;
}

function v4(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function v6(text: string): Buffer {
  let s = text;
  const last = s.lastIndexOf(':');
  if (s.slice(last + 1).includes('.')) {
    const tail = v4(s.slice(last + 1));
    s = `${s.slice(0, last + 1)}${tail.readUInt16BE(0).toString(16)}:${tail.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', rest] = s.split('::');
  const h = head ? head.split(':') : [];
  const r = rest ? rest.split(':') : [];
  const words = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), 2 * i));
  return out;
}

const MAPPED = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/** Octets of an address (IPv4-mapped IPv6 folded to IPv4), or null when it is not one. */
export function addressBytes(input: string): Buffer | null {
  const text = input.split('%')[0] ?? '';
  if (isIPv4(text)) return v4(text);
  if (!isIPv6(text)) return null;
  const b = v6(text);
  return b.subarray(0, 12).equals(MAPPED) ? Buffer.from(b.subarray(12)) : b;
}

/** Parses "addr" or "addr/bits"; throws ERR_CONFIG naming the bad value. */
export function parsePrefix(text: string): Prefix {
  const [addr = '', bitsText, extra] = text.split('/');
  const bytes = addressBytes(addr);
  const max = bytes ? bytes.length * 8 : 0;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (
    !bytes ||
    extra !== undefined ||
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > max ||
    (bitsText !== undefined && !/^\d+$/.test(bitsText))
  ) {
    throw new AppError('ERR_CONFIG', `not an IP address or CIDR: ${text.slice(0, 64)}`);
  }
  return { bytes, bits, text };
}

export function prefixMatches(p: Prefix, addr: Buffer): boolean {
  if (addr.length !== p.bytes.length) return false;
  const full = p.bits >> 3;
  for (let i = 0; i < full; i++) if (addr[i] !== p.bytes[i]) return false;
  const rest = p.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((addr[full] ?? 0) & mask) === ((p.bytes[full] ?? 0) & mask);
}

/** Canonical text of address octets (for logs and CoA destinations). */
export function addressText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 * i).toString(16));
  return new URL(`http://[${words.join(':')}]/`).hostname.slice(1, -1);
}
