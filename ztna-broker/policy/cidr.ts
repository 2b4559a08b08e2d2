/**
 * IP address and CIDR parsing for `sourceCidrs`, compiled once at policy load.
 *
 * Rules enforced:
 * - IPv4 is strict dotted-quad (RFC 791 text form as used by RFC 4632 §3.1): four decimal octets,
 *   0..255, no leading zeros (`010` is octal to some parsers and decimal to others), no shorthand.
 * - IPv6 follows RFC 4291 §2.2 (groups of 1-4 hex digits, one `::`, trailing dotted IPv4) and
 *   RFC 5952 is NOT required on input. Zone ids (`%eth0`) are refused in CIDRs; on a source
 *   address the zone is dropped (the socket layer reports link-local peers with a zone).
 * - IPv4-mapped IPv6 (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) is treated as the IPv4 address, both
 *   for sources (dual-stack sockets report them) and for CIDRs with a prefix of 96 or more, so an
 *   IPv4 rule cannot be side-stepped by the address family. Conversely an IPv6 range contains an
 *   IPv4 address when it contains its mapped form: `::/0` covers every address (as net.BlockList).
 * - A CIDR with host bits set (`10.1.2.3/8`) is refused: it is almost always a typo, and silently
 *   masking it would widen or move the range (RFC 4632 §3.1 writes the prefix with zero host bits).
 * - A bare address is a host route (/32 or /128).
 */

export interface IpAddress {
  readonly v: 4 | 6;
  /** Big-endian 32-bit words: one for IPv4, four for IPv6. */
  readonly words: readonly number[];
}

export interface Cidr {
  readonly v: 4 | 6;
  readonly words: readonly number[];
  readonly masks: readonly number[];
  readonly prefix: number;
  /** Canonical text, for logs and error messages. */
  readonly text: string;
}

export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; error: string };

const DEC_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIPv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!DEC_OCTET.test(p)) return null;
    const o = Number(p);
    if (o > 255) return null;
    n = n * 256 + o;
  }
  return n >>> 0;
}

function parseIPv6(s: string): number[] | null {
  if (s.length < 2 || s.length > 45) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const toGroups = (part: string, allowV4Tail: boolean): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as string;
      if (allowV4Tail && i === items.length - 1 && item.includes('.')) {
        const v4 = parseIPv4(item);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (HEX_GROUP.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  let groups: number[];
  if (halves.length === 2) {
    const head = toGroups(halves[0] as string, false);
    const tail = toGroups(halves[1] as string, true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = toGroups(s, true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  }
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push((((groups[i] as number) << 16) | (groups[i + 1] as number)) >>> 0);
  return words;
}

function isV4Mapped(w: readonly number[]): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
}

/** Parses a literal address (no prefix). With `allowZone`, a `%zone` suffix is dropped. */
export function parseIp(text: string, allowZone = false): IpAddress | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return null;
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (!allowZone || !s.includes(':')) return null;
    s = s.slice(0, pct);
  }
  if (!s.includes(':')) {
    const v4 = parseIPv4(s);
    return v4 === null ? null : { v: 4, words: [v4] };
  }
  const w = parseIPv6(s);
  if (w === null) return null;
  if (isV4Mapped(w)) return { v: 4, words: [w[3] as number] };
  return { v: 6, words: w };
}

function maskWords(v: 4 | 6, prefix: number): number[] {
  const n = v === 4 ? 1 : 4;
  const masks: number[] = [];
  for (let i = 0; i < n; i++) {
    const bits = Math.max(0, Math.min(32, prefix - i * 32));
    masks.push(bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);
  }
  return masks;
}

function formatAddress(v: 4 | 6, words: readonly number[]): string {
  if (v === 4) {
    const n = words[0] as number;
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  return words.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(':');
}

export function parseCidr(text: string): CidrResult {
  if (typeof text !== 'string') return { ok: false, error: 'CIDR must be a string' };
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const raw = addrText.includes(':') ? parseIPv6(addrText) : null;
  const addr = parseIp(addrText);
  if (addr === null) return { ok: false, error: 'invalid CIDR address' };
  const textFamilyMax = addrText.includes(':') ? 128 : 32;
  let prefix = textFamilyMax;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > textFamilyMax) {
      return { ok: false, error: 'invalid CIDR prefix length' };
    }
    prefix = Number(p);
  }
  let v = addr.v;
  let words = addr.words;
  if (raw !== null && addr.v === 4) {
    // IPv4-mapped range written in IPv6 form.
    if (prefix < 96) {
      v = 6;
      words = raw;
    } else {
      prefix -= 96;
    }
  }
  const masks = maskWords(v, prefix);
  for (let i = 0; i < words.length; i++) {
    if (((words[i] as number) & ~(masks[i] as number)) >>> 0 !== 0) {
      return { ok: false, error: 'CIDR has host bits set' };
    }
  }
  return { ok: true, cidr: { v, words, masks, prefix, text: `${formatAddress(v, words)}/${prefix}` } };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.v === 4 && ip.v === 6) return false;
  // An IPv4 source is its IPv4-mapped IPv6 address to an IPv6 range (so `::/0` covers it).
  const words = cidr.v === 6 && ip.v === 4 ? [0, 0, 0xffff, ip.words[0] as number] : ip.words;
  for (let i = 0; i < cidr.words.length; i++) {
    if (((words[i] as number) & (cidr.masks[i] as number)) >>> 0 !== cidr.words[i]) return false;
  }
  return true;
}

export function anyCidrContains(cidrs: readonly Cidr[], ip: IpAddress): boolean {
  for (const c of cidrs) if (cidrContains(c, ip)) return true;
  return false;
}
