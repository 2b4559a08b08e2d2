/**
 * Inbound header sanitation before a request is proxied to a device console.
 *
 * Rules enforced:
 * - Hop-by-hop headers are removed (RFC 9110 §7.6.1): Connection, Keep-Alive, Proxy-Connection,
 *   TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Authenticate, Proxy-Authorization, and every
 *   header named in Connection (except Host and Content-Length, which the proxy relies on). The
 *   proxy re-adds Upgrade/Connection itself for an authorized WebSocket upgrade.
 * - Nothing the client sends may look like something the broker asserts: every `X-Forwarded-*`,
 *   `Forwarded` (RFC 7239), `X-Real-IP` and client-IP variants, client-certificate headers
 *   (`X-SSL-*`, `X-Client-*`, `SSL-Client-*`, `X-ARR-*`, `Client-Cert` RFC 9440, `X-TLS-*`),
 *   identity headers (`X-Remote-*`, `Remote-*`, `X-Auth-*`, `X-Gatehouse-*`, `X-User`, IdP-proxy
 *   headers of oauth2-proxy / ALB / IAP / Cloudflare Access / Pomerium / Azure EasyAuth).
 * - Request-rewriting headers that bypass path and method rules on some upstreams are removed
 *   (`X-Original-URL`, `X-Rewrite-URL`, `X-HTTP-Method-Override`, ...), and `Proxy` (httpoxy,
 *   CVE-2016-5385: CGI turns it into HTTP_PROXY).
 * - Names are matched after lower-casing and mapping `_` to `-` (CGI-style servers treat
 *   `X_Forwarded_For` as `X-Forwarded-For`).
 * - Broker cookies (session, pre-auth, CSRF) are removed from Cookie; other cookies are kept in
 *   order (RFC 6265 §5.4). Broker names compare case-insensitively: removing more is safe.
 * - Field names that are not RFC 9110 §5.1 tokens, and `__proto__`, are dropped.
 * Pure: the input object is not modified.
 */

export type InboundHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;
export type OutboundHeaders = Record<string, string | string[]>;

export interface SanitizeOptions {
  /** Names of the broker's own cookies, e.g. `__Host-gatehouse-session`. */
  readonly brokerCookieNames: readonly string[];
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

const NEVER_CONNECTION_LISTED = new Set(['host', 'content-length']);

const EXACT = new Set([
  'forwarded',
  'x-forwarded',
  'x-real-ip',
  'true-client-ip',
  'client-ip',
  'x-cluster-client-ip',
  'x-originating-ip',
  'x-proxyuser-ip',
  'fastly-client-ip',
  'cf-connecting-ip',
  'cf-connecting-ipv6',
  'x-host',
  'client-cert',
  'client-cert-chain',
  'x-user',
  'x-username',
  'x-email',
  'x-groups',
  'x-id-token',
  'x-access-token',
  'x-jwt-assertion',
  'x-webauth-user',
  'x-authenticated-user',
  'x-authenticated-userid',
  'x-ms-client-principal',
  'x-original-url',
  'x-original-uri',
  'x-original-method',
  'x-rewrite-url',
  'x-override-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'proxy',
]);

const PREFIXES = [
  'x-forwarded-',
  'x-real-',
  'x-ssl-',
  'x-tls-',
  'x-client-',
  'ssl-client-',
  'x-arr-',
  'x-mtls-',
  'x-auth-',
  'x-authenticated-',
  'x-gatehouse-',
  'x-remote-',
  'remote-',
  'x-webauth-',
  'x-amzn-oidc-',
  'x-amzn-mtls-',
  'x-goog-authenticated-',
  'x-goog-iap-',
  'cf-access-',
  'x-pomerium-',
  'x-ms-client-principal-',
  'x-ms-token-',
];

/** RFC 9110 §5.1 field-name = token; anything else is dropped. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Lower-cased, `_` mapped to `-`. */
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** True when a header of this name must never reach an upstream (before Connection tokens). */
export function isStrippedHeaderName(name: string): boolean {
  const n = canonicalHeaderName(name);
  if (HOP_BY_HOP.has(n) || EXACT.has(n)) return true;
  for (const p of PREFIXES) if (n.startsWith(p)) return true;
  return false;
}

/** Per raw header name: its canonical name, or null when it never reaches an upstream. */
const VERDICTS = new Map<string, string | null>();
const VERDICTS_MAX = 1024;

/** The per-name part of sanitizeRequestHeaders, memoised (clients repeat the same names). */
function verdictOf(name: string): string | null {
  let v = VERDICTS.get(name);
  if (v === undefined) {
    const n = canonicalHeaderName(name);
    v = !TOKEN.test(name) || n === '--proto--' || isStrippedHeaderName(n) ? null : n;
    if (VERDICTS.size >= VERDICTS_MAX) VERDICTS.clear(); // random names cannot grow it without bound
    VERDICTS.set(name, v);
  }
  return v;
}

function values(v: string | readonly string[]): readonly string[] {
  return typeof v === 'string' ? [v] : v;
}

const NO_TOKENS: ReadonlySet<string> = new Set();
/** The last Connection value parsed (clients repeat `keep-alive` on every request). */
let lastConnection: { value: string; tokens: ReadonlySet<string> } = { value: '', tokens: NO_TOKENS };

function tokensOf(value: string): ReadonlySet<string> {
  if (value === lastConnection.value) return lastConnection.tokens;
  const out = new Set<string>();
  for (const t of value.split(',')) {
    const tok = canonicalHeaderName(t.trim());
    if (tok !== '' && !NEVER_CONNECTION_LISTED.has(tok)) out.add(tok);
  }
  lastConnection = { value, tokens: out };
  return out;
}

function connectionTokens(headers: InboundHeaders): ReadonlySet<string> {
  let out: Set<string> | null = null;
  let only: ReadonlySet<string> = NO_TOKENS;
  for (const [name, v] of Object.entries(headers)) {
    // 'connection' in any letter case or with underscores: verdictOf keeps no such name, so
    // compare the canonical form only for names of the right length
    if (v === undefined || name.length !== 10 || canonicalHeaderName(name) !== 'connection') continue;
    for (const line of values(v)) {
      const tokens = tokensOf(line);
      if (only === NO_TOKENS && out === null) only = tokens;
      else {
        out ??= new Set(only);
        for (const t of tokens) out.add(t);
      }
    }
  }
  return out ?? only;
}

/** Removes broker cookies from one or more Cookie header values; null when nothing is left. */
export function stripBrokerCookies(
  cookie: string | readonly string[],
  brokerCookieNames: readonly string[],
): string | null {
  const broker = new Set(brokerCookieNames.map((n) => n.trim().toLowerCase()));
  const kept: string[] = [];
  for (const line of values(cookie)) {
    for (const pair of line.split(';')) {
      const p = pair.trim();
      if (p === '') continue;
      const eq = p.indexOf('=');
      const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      if (broker.has(name)) continue;
      kept.push(p);
    }
  }
  return kept.length === 0 ? null : kept.join('; ');
}

export function sanitizeRequestHeaders(headers: InboundHeaders, opts: SanitizeOptions): OutboundHeaders {
  const listed = connectionTokens(headers);
  const out: OutboundHeaders = {};
  const cookies: string[] = [];
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const n = verdictOf(name);
    if (n === null || listed.has(n)) continue;
    if (n === 'cookie') {
      cookies.push(...values(v));
      continue;
    }
    const key = name.toLowerCase();
    const prev = out[key];
    if (prev === undefined) out[key] = typeof v === 'string' ? v : [...v];
    else out[key] = [...values(prev), ...values(v)];
  }
  if (cookies.length > 0) {
    const kept = stripBrokerCookies(cookies, opts.brokerCookieNames);
    if (kept !== null) out['cookie'] = kept;
  }
  return out;
}
