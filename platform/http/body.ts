/**
 * Request body reading with limits.
 * Rules: a declared Content-Length over the limit is refused (413) before one byte is buffered;
 * a chunked body is counted as it arrives and refused the moment it passes the limit; a client
 * that stalls is cut by the server's requestTimeout (see server.ts).
 */
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.ts';

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) throw new AppError('ERR_BAD_INPUT', 'invalid Content-Length');
    if (n > limit) {
      req.resume();
      throw new AppError('ERR_TOO_LARGE', `body larger than ${limit} bytes`);
    }
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new AppError('ERR_TOO_LARGE', `body larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** Media type without parameters, lower-cased ('' when absent). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}
