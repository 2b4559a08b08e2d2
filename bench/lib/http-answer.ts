/**
 * Reads exactly one HTTP/1.x response from a raw socket, for the benchmarks' own load generators
 * (once-load.ts for enrollments, load-node.ts for servers that close after every answer).
 *
 * Rules:
 * - The answer ends after its header block and a Content-Length body (RFC 9112 §6.3); with
 *   `chunked` (the default) a chunked body without trailers is accepted too (RFC 9112 §7.1),
 *   otherwise an answer without Content-Length is an error.
 * - keepAlive (RFC 9112 §9.3): HTTP/1.1 stays open unless `Connection: close`; HTTP/1.0 stays
 *   open only with `keepAlive10` AND `Connection: keep-alive` (off by default: closed).
 * - Resolves once the body is complete; rejects when the socket closes or errors first, or after
 *   `timeoutMs` (the error then carries `timeout: true`). Listeners are removed either way, so
 *   the same socket can read the next answer.
 */
import type { Socket } from 'node:net';

export interface Answer {
  status: number;
  headers: string;
  body: Buffer;
  keepAlive: boolean;
}

export interface AnswerRules {
  /** Accept a chunked body when there is no Content-Length (default true). */
  chunked?: boolean;
  /** Keep an HTTP/1.0 connection that answered `Connection: keep-alive` (default false). */
  keepAlive10?: boolean;
}

/** The body of a complete chunked encoding (RFC 9112 §7.1, no trailers), or null if incomplete. */
function dechunk(b: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(b.toString('latin1', at, eol), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    if (size === 0) return b.length >= eol + 4 ? Buffer.concat(parts) : null;
    if (b.length < eol + 2 + size + 2) return null;
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Reads one HTTP response from `sock`; resolves when its body is complete. */
export function readAnswer(sock: Socket, timeoutMs: number, rules: AnswerRules = {}): Promise<Answer> {
  const chunked = rules.chunked ?? true;
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (e: Error | null, a?: Answer) => {
      clearTimeout(t);
      sock.off('data', onData).off('close', onClose).off('error', onClose);
      if (e) reject(e);
      else resolve(a!);
    };
    const onData = (c: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      let body: Buffer | null;
      if (Number.isFinite(len)) body = buf.length < end + 4 + len ? null : buf.subarray(end + 4, end + 4 + len);
      else if (chunked && /\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        try {
          body = dechunk(buf.subarray(end + 4));
        } catch (e) {
          return done(e as Error);
        }
      }
      else return done(new Error(`answer without Content-Length${chunked ? ' or chunked body' : ''}: ${head.slice(0, 200)}`));
      if (!body) return;
      const conn = /\r\nconnection:\s*([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
      const keepAlive = head.startsWith('HTTP/1.1') ? conn !== 'close' : Boolean(rules.keepAlive10) && conn === 'keep-alive';
      done(null, { status: Number(head.slice(9, 12)), headers: head, body, keepAlive });
    };
    const onClose = () => done(new Error('connection closed before the answer'));
    const t = setTimeout(() => done(Object.assign(new Error('timeout'), { timeout: true })), timeoutMs);
    sock.on('data', onData).once('close', onClose).once('error', onClose);
  });
}
