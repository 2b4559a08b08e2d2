/**
 * Request-target normalization: the one path the policy authorizes is the one forwarded upstream.
 *
 * Rules enforced (input is an origin-form request-target, RFC 9112 §3.2.1):
 * - It starts with `/`; at most MAX_TARGET_LENGTH characters; only visible ASCII (no space, no
 *   controls, no raw non-ASCII); no fragment (`#` is never sent, RFC 9110 §7.1).
 * - Path: percent-encodings must be well formed (RFC 3986 §2.1). Encoded unreserved characters are
 *   decoded (RFC 3986 §2.3, §6.2.2.2) BEFORE dot-segment resolution, so `%2e%2e` is a real `..`.
 *   Other encodings stay encoded with upper-case hex (§6.2.2.1).
 * - Refused: encoded `/` (%2F), `\` (%5C), NUL and every other C0 control or DEL; raw `\`
 *   (browsers and some servers treat it as `/`); `;` path parameters, raw or as %3B (matrix
 *   parameters smuggle segments past prefix rules on servlet-style upstreams); `%25` followed by
 *   two hex digits (double encoding, which a second decode turns into any of the above);
 *   percent-encoded bytes that are not well-formed UTF-8 (overlong `%C0%AF` = `/`).
 * - Characters that RFC 3986 does not allow in a path but browsers send raw (`| ^ [ ] { } " < > \``)
 *   are percent-encoded.
 * - Runs of `/` are merged, then dot segments are resolved (RFC 3986 §5.2.4); a `..` that would
 *   climb above the root is refused instead of being clamped.
 * - The query is returned unchanged (it is not authorized), after the same character check.
 * The output is a fixed point: normalizePath(out.path) returns the same path.
 */
import { AppError } from '../../platform/errors.ts';

export const MAX_TARGET_LENGTH = 8192;

export interface NormalizedTarget {
  /** Normalized absolute path, always starting with `/`. */
  readonly path: string;
  /** Raw query without the `?`; '' when absent. */
  readonly query: string;
}

const HEX = '0123456789ABCDEF';
const utf8 = new TextDecoder('utf-8', { fatal: true });

function bad(message: string): never {
  throw new AppError('ERR_BAD_INPUT', message);
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e // - . _ ~
  );
}

/** Allowed raw in our output path besides unreserved: sub-delims except `;`, plus `:` `@` `/`. */
const RAW_OK = new Set("!$&'()*+,=:@/".split('').map((ch) => ch.charCodeAt(0)));
/** Printable characters outside RFC 3986 pchar that browsers send unencoded: we encode them. */
const ENCODE = new Set('"<>[]^`{|}'.split('').map((ch) => ch.charCodeAt(0)));

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function encodeByte(b: number): string {
  return '%' + HEX[b >> 4] + HEX[b & 15];
}

/** Percent-decoding and character canonicalization of the path part. */
function canonicalizeChars(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const bytes: number[] = [];
      // Gather a run of encoded bytes so multi-byte UTF-8 sequences are checked whole.
      while (i < raw.length && raw.charCodeAt(i) === 0x25) {
        const hi = hexValue(raw.charCodeAt(i + 1));
        const lo = hexValue(raw.charCodeAt(i + 2));
        if (hi < 0 || lo < 0) bad('malformed percent-encoding in path');
        const b = hi * 16 + lo;
        if (b < 0x80) break;
        bytes.push(b);
        i += 3;
      }
      if (bytes.length > 0) {
        try {
          utf8.decode(new Uint8Array(bytes));
        } catch {
          bad('percent-encoded bytes in path are not valid UTF-8');
        }
        for (const b of bytes) out += encodeByte(b);
        continue;
      }
      const b = hexValue(raw.charCodeAt(i + 1)) * 16 + hexValue(raw.charCodeAt(i + 2));
      if (b === 0x2f) bad('encoded slash in path');
      if (b === 0x5c) bad('encoded backslash in path');
      if (b === 0x00) bad('encoded NUL in path');
      if (b < 0x20 || b === 0x7f) bad('encoded control character in path');
      if (b === 0x3b) bad('encoded path parameter delimiter in path');
      out += isUnreserved(b) ? String.fromCharCode(b) : encodeByte(b);
      i += 3;
      continue;
    }
    if (c < 0x21 || c > 0x7e) bad('invalid character in path');
    if (c === 0x5c) bad('backslash in path');
    if (c === 0x3b) bad('path parameters are not allowed');
    if (c === 0x23) bad('fragment in request target');
    if (isUnreserved(c) || RAW_OK.has(c)) out += raw[i];
    else if (ENCODE.has(c)) out += encodeByte(c);
    else bad('invalid character in path');
    i += 1;
  }
  return out;
}

/** Merges `//` and resolves `.` / `..` (RFC 3986 §5.2.4), refusing to climb above the root. */
function resolveSegments(path: string): string {
  const parts = path.split('/');
  const out: string[] = [];
  let trailingSlash = false;
  for (let k = 1; k < parts.length; k++) {
    const seg = parts[k] as string;
    const last = k === parts.length - 1;
    if (seg === '' || seg === '.') {
      if (last) trailingSlash = true;
      continue;
    }
    if (seg === '..') {
      if (out.length === 0) bad('path climbs above the root');
      out.pop();
      if (last) trailingSlash = true;
      continue;
    }
    out.push(seg);
  }
  if (out.length === 0) return '/';
  return '/' + out.join('/') + (trailingSlash ? '/' : '');
}

function checkQuery(query: string): void {
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) bad('invalid character in query');
    if (c === 0x23) bad('fragment in request target');
  }
}

export function normalizePath(rawPathAndQuery: string): NormalizedTarget {
  if (typeof rawPathAndQuery !== 'string') bad('request target must be a string');
  if (rawPathAndQuery.length === 0) bad('empty request target');
  if (rawPathAndQuery.length > MAX_TARGET_LENGTH) bad('request target too long');
  if (rawPathAndQuery.charCodeAt(0) !== 0x2f) bad('request target must start with /');
  const q = rawPathAndQuery.indexOf('?');
  const rawPath = q < 0 ? rawPathAndQuery : rawPathAndQuery.slice(0, q);
  const query = q < 0 ? '' : rawPathAndQuery.slice(q + 1);
  checkQuery(query);
  const path = resolveSegments(canonicalizeChars(rawPath));
  if (/%25[0-9A-Fa-f]{2}/.test(path)) bad('double percent-encoding in path');
  return { path, query };
}

/** True when `path` is already in normalized form (what evaluate() expects). */
export function isNormalizedPath(path: string): boolean {
  if (typeof path !== 'string' || path.includes('?')) return false;
  try {
    return normalizePath(path).path === path;
  } catch {
    return false;
  }
}
