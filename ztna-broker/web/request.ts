/**
 * Small request helpers shared by the broker pages and the proxy.
 *
 * Rules enforced:
 * - Host routing uses the Host header only (RFC 9112 §3.2), lower-cased, port removed; a missing,
 *   repeated or malformed Host, or an absolute-form request target, is refused (null).
 * - Bodies of broker pages are small: at most `limit` bytes (ERR_TOO_LARGE), read fully
 *   before parsing; forms must be application/x-www-form-urlencoded, JSON application/json
 *   (ERR_UNSUPPORTED_MEDIA_TYPE).
 * - State-changing broker requests (POST) must come from the page's own origin: the Origin
 *   header, when present, must equal it, and Sec-Fetch-Site must not be cross-site (ERR_CSRF).
 */
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../platform/errors.ts';

const HOST_HEADER = /^([a-z0-9.-]{1,253})(?::(\d{1,5}))?$/;

/** Lower-cased host name from the Host header, or null. */
export function hostOf(req: IncomingMessage): string | null {
  const raw = req.headersDistinct?.host;
  if (raw === undefined || raw.length !== 1) return null;
  const m = HOST_HEADER.exec((raw[0] as string).toLowerCase());
  if (m === null) return null;
  const host = (m[1] as string).replace(/\.$/, '');
  if (host === '' || host.startsWith('.') || host.includes('..')) return null;
  return host;
}

export function clientIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? '';
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new AppError('ERR_TOO_LARGE', 'request body too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AppError('ERR_TOO_LARGE', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export async function readForm(req: IncomingMessage, limit = 16 * 1024): Promise<URLSearchParams> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', 'expected a form');
  }
  return new URLSearchParams((await readBody(req, limit)).toString('utf8'));
}

export async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  if (mediaType(req) !== 'application/json') throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', 'expected JSON');
  try {
    return JSON.parse((await readBody(req, limit)).toString('utf8')) as unknown;
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('ERR_BAD_INPUT', 'malformed JSON', { cause: e });
  }
}

/** Refuses a state-changing request that a foreign page could have triggered. */
export function assertSameOrigin(req: IncomingMessage, origin: string): void {
  const o = req.headers.origin;
  if (o !== undefined && o !== origin) throw new AppError('ERR_CSRF', 'cross-origin request refused');
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new AppError('ERR_CSRF', 'cross-site request refused');
  }
}
