/**
 * Browser-held secrets: the broker's cookies and the random tokens they (and URLs) carry.
 *
 * Rules enforced:
 * - Every browser-held secret (session token, login id, hand-off code, CSRF token) is 256 bits
 *   from the CSPRNG, base64url without padding; the database keeps only SHA-256(token), and
 *   secrets that are compared rather than looked up use timingSafeEqual.
 * - Every broker cookie is a `__Host-` cookie (RFC 6265bis §4.1.3.2): Secure, Path=/, no Domain,
 *   so it is bound to the one host that set it and cannot be planted by a sibling subdomain.
 * - HttpOnly, SameSite=Lax (the session survives top-level navigations back from the IdP; cross
 *   site POSTs do not carry it).
 * - Values are base64url tokens; a Cookie header with several values for one of our names is
 *   treated as absent (cookie tossing), never as "the first one wins".
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function newId(): string {
  return randomBytes(16).toString('hex');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export const SESSION_COOKIE = '__Host-gatehouse-session';
export const LOGIN_COOKIE = '__Host-gatehouse-login';
export const BROKER_COOKIE_NAMES: readonly string[] = [SESSION_COOKIE, LOGIN_COOKIE];

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** The value of cookie `name`, or null when absent, duplicated or malformed. */
export function readCookie(header: string | string[] | undefined, name: string): string | null {
  if (header === undefined) return null;
  const lines = typeof header === 'string' ? [header] : header;
  let found: string | null = null;
  let count = 0;
  for (const line of lines) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      if (pair.slice(0, eq).trim() !== name) continue;
      count++;
      found = pair.slice(eq + 1).trim();
    }
  }
  if (count !== 1 || found === null || !TOKEN.test(found)) return null;
  return found;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. Omitted: a browser-session cookie. */
  maxAge?: number;
}

export function serializeCookie(name: string, value: string, opts: CookieOptions = {}): string {
  if (!name.startsWith('__Host-')) throw new Error('broker cookies must be __Host- cookies');
  const parts = [`${name}=${value}`, 'Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax'];
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(opts.maxAge))}`);
  return parts.join('; ');
}

export function clearCookie(name: string): string {
  return serializeCookie(name, '', { maxAge: 0 });
}

/** Appends Set-Cookie values without dropping ones already set on the response. */
export function appendSetCookie(res: { getHeader(n: string): unknown; setHeader(n: string, v: string[]): unknown }, cookie: string): void {
  const prev = res.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? (prev as string[]) : [String(prev)];
  res.setHeader('set-cookie', [...list, cookie]);
}
