/**
 * Forwarding one authorized HTTP request to its console, and the response back.
 *
 * Rules enforced:
 * - The upstream receives exactly the authorized target (normalized path + original query),
 *   the sanitized headers (policy/headers.ts), Host set to the upstream, and the broker's
 *   assertion; nothing the client sent about identity or forwarding.
 * - Response hop-by-hop headers are dropped (RFC 9110 §7.6.1), and so is any Set-Cookie that
 *   names a broker cookie: a console cannot plant or overwrite the broker's session.
 * - Upstream failures answer 502/504 with a reason; a pin mismatch is reported as such. Bytes
 *   already sent cannot be taken back: a mid-body failure aborts the client connection.
 * - A client that goes away before the response stops the upstream body; bodies up to 64 KiB are
 *   sent in one write (fewer TLS records and syscalls), larger ones are streamed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Pool } from 'undici';
import { isAppError } from '../../platform/errors.ts';
import type { OutboundHeaders } from '../policy/index.ts';
import { BROKER_COOKIE_NAMES } from '../web/cookies.ts';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);
const BROKER_COOKIES = new Set(BROKER_COOKIE_NAMES.map((n) => n.toLowerCase()));

function setsBrokerCookie(v: string): boolean {
  const eq = v.indexOf('=');
  return BROKER_COOKIES.has((eq < 0 ? v : v.slice(0, eq)).trim().toLowerCase());
}

export function filterResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = new Set<string>();
  const conn = headers['connection'];
  for (const line of conn === undefined ? [] : Array.isArray(conn) ? conn : [conn]) {
    for (const t of line.split(',')) listed.add(t.trim().toLowerCase());
  }
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const n = name.toLowerCase();
    if (HOP.has(n) || listed.has(n)) continue;
    if (n === 'set-cookie') {
      const kept = (Array.isArray(v) ? v : [v]).filter((c) => !setsBrokerCookie(c));
      if (kept.length > 0) out[n] = kept;
      continue;
    }
    out[n] = v;
  }
  return out;
}

export type ForwardFailure = { reason: 'upstream-pin-mismatch' | 'upstream-unavailable' | 'upstream-timeout'; status: 502 | 504 };

export function classifyUpstreamError(e: unknown): ForwardFailure {
  if (isAppError(e, 'ERR_UPSTREAM_PIN') || isAppError((e as { cause?: unknown })?.cause, 'ERR_UPSTREAM_PIN')) {
    return { reason: 'upstream-pin-mismatch', status: 502 };
  }
  const code = (e as { code?: string } | null)?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { reason: 'upstream-timeout', status: 504 };
  }
  return { reason: 'upstream-unavailable', status: 502 };
}

/** Bodies up to this size are read whole and sent in one write (one TLS record batch, one syscall). */
const SMALL_BODY = 64 * 1024;

/** Forwards; resolves when the response is fully sent, or with the failure before any byte was. */
export async function forwardHttp(pool: Pool, req: IncomingMessage, res: ServerResponse, target: string, headers: OutboundHeaders, upstreamHost: string): Promise<ForwardFailure | null> {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  headers['host'] = upstreamHost;
  let up;
  try {
    up = await pool.request({ path: target, method: req.method as 'GET', headers, body: hasBody ? req : null });
  } catch (e) {
    return res.destroyed ? null : classifyUpstreamError(e);
  }
  if (res.destroyed) {
    // The client left while the console answered: discard the body (destroy() alone would emit
    // an unhandled 'error' and take the process down).
    up.body.on('error', () => undefined).destroy();
    return null;
  }
  const out = filterResponseHeaders(up.headers);
  const length = Number(up.headers['content-length']);
  if (Number.isInteger(length) && length >= 0 && length <= SMALL_BODY) {
    let body: Buffer;
    try {
      body = Buffer.from(await up.body.arrayBuffer());
    } catch {
      res.destroy();
      return null;
    }
    res.writeHead(up.statusCode, out);
    res.end(body);
    return null;
  }
  res.writeHead(up.statusCode, out);
  await new Promise<void>((resolve) => {
    pipeline(up.body, res, (err) => {
      if (err) res.destroy();
      resolve();
    });
  });
  return null;
}
