/**
 * A deliberately small router over node:http for the protocol endpoints (CRL, OCSP, EST, SCEP,
 * admin API). Exact paths and prefix routes, method dispatch, 404/405 answers, and one error
 * mapper per router so each protocol answers failures in its own way.
 * Why not express: these endpoints are hot (OCSP, enrollment) and need nothing express adds;
 * node:http with this router keeps per-request overhead to a map lookup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toAppError, type AppError } from '../errors.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: { path: string; rest: string; url: URL }) => Promise<void> | void;
export type ErrorMapper = (err: AppError, req: IncomingMessage, res: ServerResponse) => void;

interface Route {
  method: string;
  path: string;
  prefix: boolean;
  handler: Handler;
}

export class Router {
  private readonly exact = new Map<string, Route[]>();
  private readonly prefixes: Route[] = [];
  constructor(private readonly onError: ErrorMapper = defaultErrorMapper) {}

  on(method: string | string[], path: string, handler: Handler): this {
    for (const m of Array.isArray(method) ? method : [method]) {
      const r: Route = { method: m, path, prefix: false, handler };
      const list = this.exact.get(path) ?? [];
      list.push(r);
      this.exact.set(path, list);
    }
    return this;
  }

  /** Matches `path` and everything below it; ctx.rest is the remainder after the prefix. */
  prefix(method: string | string[], path: string, handler: Handler): this {
    for (const m of Array.isArray(method) ? method : [method]) this.prefixes.push({ method: m, path, prefix: true, handler });
    this.prefixes.sort((a, b) => b.path.length - a.path.length);
    return this;
  }

  /** Returns false when no route matched the path (so several routers can be chained). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    let candidates = this.exact.get(path);
    let rest = '';
    if (!candidates) {
      const hit = this.prefixes.filter((r) => path === r.path || path.startsWith(r.path.endsWith('/') ? r.path : r.path + '/'));
      if (hit.length === 0) return false;
      const longest = hit[0]!.path;
      candidates = hit.filter((r) => r.path === longest);
      rest = path.slice(longest.length).replace(/^\//, '');
    }
    const route = candidates.find((r) => r.method === req.method) ?? (req.method === 'HEAD' ? candidates.find((r) => r.method === 'GET') : undefined);
    if (!route) {
      res.writeHead(405, { allow: [...new Set(candidates.map((r) => r.method))].join(', '), 'content-type': 'text/plain' });
      res.end('method not allowed\n');
      return true;
    }
    try {
      await route.handler(req, res, { path, rest, url });
    } catch (e) {
      if (!res.headersSent) this.onError(toAppError(e), req, res);
      else res.destroy();
    }
    return true;
  }
}

const STATUS: Partial<Record<AppError['code'], number>> = {
  ERR_BAD_INPUT: 400,
  ERR_DER_MALFORMED: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_STORE_BUSY: 503,
  ERR_STORE_FULL: 503,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_ISSUER_UNAVAILABLE: 503,
  ERR_TIMEOUT: 408,
};

export function httpStatusOf(err: AppError, fallback = 400): number {
  if (err.code === 'ERR_INTERNAL') return 500;
  return STATUS[err.code] ?? fallback;
}

export function defaultErrorMapper(err: AppError, _req: IncomingMessage, res: ServerResponse): void {
  const status = httpStatusOf(err);
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter);
  res.writeHead(status, headers);
  res.end(`${err.code}: ${err.message}\n`);
}
