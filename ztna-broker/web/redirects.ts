/**
 * Return-to URLs after login, step-up, hand-off and logout (open-redirect guard).
 *
 * Rules enforced:
 * - A return-to is either a path on the broker host (`/x`, never `//x` or `/\x`) or an absolute
 *   `https://` URL whose host is the broker host or a route host from the policy and whose port
 *   is the broker's public port. Everything else (other hosts, other schemes, userinfo,
 *   backslashes, control characters, encoded slashes, dot-segment tricks) is refused.
 * - The path is normalized with the policy's normalizePath, so what is stored is what is later
 *   requested; the query is kept, the fragment dropped.
 * - The validated value is stored server-side (login state, hand-off row); the browser only
 *   carries opaque ids through the IdP.
 */
import { normalizePath } from '../policy/index.ts';

export interface RedirectScope {
  brokerHost: string;
  publicPort: number;
  isRouteHost(host: string): boolean;
}

export interface ReturnTo {
  host: string;
  /** Normalized path plus `?query` when present. */
  target: string;
}

function originPort(port: number): string {
  return port === 443 ? '' : `:${port}`;
}

export function originOf(host: string, publicPort: number): string {
  return `https://${host}${originPort(publicPort)}`;
}

export function urlOf(r: ReturnTo, publicPort: number): string {
  return originOf(r.host, publicPort) + r.target;
}

function normTarget(pathAndQuery: string): string | null {
  try {
    const n = normalizePath(pathAndQuery);
    return n.query === '' ? n.path : `${n.path}?${n.query}`;
  } catch {
    return null;
  }
}

/** Validates a user-supplied return-to; null when it is not allowed. */
export function parseReturnTo(raw: unknown, scope: RedirectScope): ReturnTo | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 4096) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\\s]/.test(raw)) return null;
  if (raw.startsWith('/')) {
    if (raw.startsWith('//')) return null;
    const target = normTarget(raw.split('#')[0] as string);
    return target === null ? null : { host: scope.brokerHost, target };
  }
  if (!/^https:\/\/[a-z0-9.-]+(:\d{1,5})?(\/|$)/i.test(raw)) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') return null;
  const port = u.port === '' ? 443 : Number(u.port);
  if (port !== scope.publicPort) return null;
  const host = u.hostname.toLowerCase();
  if (host !== scope.brokerHost && !scope.isRouteHost(host)) return null;
  const slash = raw.indexOf('/', 'https://'.length);
  const target = normTarget(slash < 0 ? '/' : (raw.slice(slash).split('#')[0] as string));
  return target === null ? null : { host, target };
}
