/**
 * Server-rendered broker pages: escaping, layout and strict headers (helmet) — on these pages
 * only, never on proxied console responses.
 *
 * Rules enforced:
 * - Every interpolated value goes through esc() (HTML text and attribute context).
 * - CSP: nothing inline — default-src 'none'; scripts, styles and fetches from the broker
 *   itself; forms post to the broker and may redirect to route hosts (form-action covers
 *   redirects in Chromium); frame-ancestors 'none'; base-uri 'none'.
 * - HSTS, nosniff, referrer only to the same origin, COOP/CORP same-origin, X-Frame-Options DENY (helmet), and
 *   `Cache-Control: no-store` on every page (they can show secrets such as a TOTP seed).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export function esc(v: unknown): string {
  return String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export interface Html {
  readonly html: string;
}

/** Marks already-escaped markup. */
export function raw(html: string): Html {
  return { html };
}

/** Tagged template that escapes every value except Html (and arrays of Html). */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (Array.isArray(v)) out += v.map((x) => (isHtml(x) ? x.html : esc(x))).join('');
    else out += isHtml(v) ? v.html : esc(v);
    out += strings[i + 1] ?? '';
  });
  return { html: out };
}

function isHtml(v: unknown): v is Html {
  return typeof v === 'object' && v !== null && typeof (v as Html).html === 'string' && Object.keys(v).length === 1;
}

export function layout(title: string, body: Html, opts: { csrf?: string } = {}): string {
  return h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${opts.csrf ? raw(`<meta name="gatehouse-csrf" content="${esc(opts.csrf)}">`) : raw('')}<title>${title} · Gatehouse</title>
<link rel="stylesheet" href="/.gatehouse/static/style.css"></head>
<body><header><strong>Gatehouse</strong> access broker</header><main>
<h1>${title}</h1>
${body}
</main></body></html>`.html;
}

export class PageHeaders {
  private readonly mw: Middleware;

  constructor(formTargets: readonly string[]) {
    this.mw = helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'", ...formTargets],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
      // 'same-origin', not 'no-referrer': with no-referrer Chromium sends `Origin: null` on form posts.
      referrerPolicy: { policy: 'same-origin' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      crossOriginOpenerPolicy: { policy: 'same-origin' },
      xFrameOptions: { action: 'deny' },
    }) as unknown as Middleware;
  }

  apply(req: IncomingMessage, res: ServerResponse): void {
    this.mw(req, res, () => undefined);
    res.setHeader('cache-control', 'no-store');
  }

  send(req: IncomingMessage, res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void {
    if (res.headersSent) return void res.destroy();
    this.apply(req, res);
    for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
    res.end(req.method === 'HEAD' ? undefined : html);
  }

  sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return void res.destroy();
    this.apply(req, res);
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  redirect(req: IncomingMessage, res: ServerResponse, location: string, status = 303, cookies: string[] = []): void {
    if (res.headersSent) return void res.destroy();
    this.apply(req, res);
    if (cookies.length > 0) res.setHeader('set-cookie', cookies);
    res.writeHead(status, { location, 'content-length': 0 });
    res.end();
  }
}
