/**
 * The in-memory transport under a per-session TLSSocket.
 *
 * Rules:
 * - Peer bytes go in with push(); everything TLS writes is buffered until takeOutput().
 * - `activity` counts writes and socket events; settle() resolves once it has not moved for a few
 *   event-loop turns. OpenSSL does its work synchronously in those turns (no I/O, no thread pool),
 *   so a quiet loop means TLS has answered the input. Bounded: at most MAX_SETTLE_TURNS turns.
 */
import { Duplex } from 'node:stream';

const QUIET_TURNS = 3;
const MAX_SETTLE_TURNS = 1000;

export class EapDuplex extends Duplex {
  chunks: Buffer[] = [];
  activity = 0;

  override _read(): void {
    /* input is pushed by the session */
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    this.activity++;
    cb();
  }

  takeOutput(): Buffer {
    const out = Buffer.concat(this.chunks);
    this.chunks = [];
    return out;
  }

  async settle(): Promise<void> {
    let quiet = 0;
    let last = -1;
    for (let turn = 0; turn < MAX_SETTLE_TURNS && quiet < QUIET_TURNS; turn++) {
      quiet = this.activity === last ? quiet + 1 : 0;
      last = this.activity;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
