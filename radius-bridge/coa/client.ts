/**
 * CoA / Disconnect client (RFC 5176) with retries and exponential backoff.
 *
 * Rules:
 * - Requests carry Message-Authenticator, computed with the authenticator field zeroed, then the
 *   Request Authenticator MD5 over the packet containing it (RFC 5176 §3.4, codec/encode.ts).
 * - A retransmission resends the identical packet (same Identifier and authenticator, RFC 5080
 *   §2.2.1); the wait grows by `backoffFactor` per attempt up to `maxTimeoutMs`; after
 *   `retries + 1` attempts the outcome is `timeout`. Nothing is "applied" without an ACK.
 * - A reply counts only if it comes from the destination address and port, matches an outstanding
 *   Identifier, has a valid Response Authenticator (and Message-Authenticator when present) and is
 *   the ACK/NAK of the request's kind (Disconnect-ACK/NAK 41/42, CoA-ACK/NAK 44/45, §2.3).
 * - Identifiers are allocated per destination; at most 256 outstanding per destination.
 * - Transport and timers are injected (UDP and real timers in production, fakes in tests).
 */
import { encodePacket, verifyResponse, type AttributeInput } from '../codec/index.ts';
import { addressBytes, addressText } from '../server/cidr.ts';

const canonical = (a: string): string => {
  const b = addressBytes(a);
  return b ? addressText(b) : a;
};

export interface CoaTransport {
  send(packet: Buffer, port: number, address: string): void;
  onMessage(cb: (packet: Buffer, from: { address: string; port: number }) => void): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RetryPolicy {
  timeoutMs: number;
  retries: number;
  backoffFactor: number;
  maxTimeoutMs: number;
}

export interface CoaRequest {
  code: 'Disconnect-Request' | 'CoA-Request';
  attributes: AttributeInput[];
  address: string;
  port: number;
  secret: Buffer;
}

export interface CoaOutcome {
  result: 'ack' | 'nak' | 'timeout' | 'error';
  attempts: number;
  errorCause?: number;
}

interface Pending {
  packet: Buffer;
  req: CoaRequest;
  attempts: number;
  wait: number;
  timer: unknown;
  resolve: (o: CoaOutcome) => void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class CoaClient {
  readonly #pending = new Map<string, Pending>();
  readonly #nextId = new Map<string, number>();

  constructor(
    private readonly transport: CoaTransport,
    private readonly retry: RetryPolicy,
    private readonly timers: Timers = realTimers,
  ) {
    transport.onMessage((packet, from) => this.#onReply(packet, from));
  }

  get outstanding(): number {
    return this.#pending.size;
  }

  send(req: CoaRequest): Promise<CoaOutcome> {
    const dest = `${canonical(req.address)}|${req.port}`;
    const id = this.#allocate(dest);
    if (id === undefined) return Promise.resolve({ result: 'error', attempts: 0 });
    let packet: Buffer;
    try {
      packet = encodePacket({ code: req.code, identifier: id, attributes: req.attributes }, req.secret, {
        messageAuthenticator: true,
      });
    } catch {
      return Promise.resolve({ result: 'error', attempts: 0 });
    }
    return new Promise<CoaOutcome>((resolve) => {
      const p: Pending = { packet, req, attempts: 0, wait: this.retry.timeoutMs, timer: undefined, resolve };
      this.#pending.set(`${dest}|${id}`, p);
      this.#attempt(`${dest}|${id}`, p);
    });
  }

  /** Ends every outstanding request as `error` (shutdown). */
  close(): void {
    for (const [key, p] of this.#pending) this.#finish(key, p, { result: 'error', attempts: p.attempts });
  }

  #attempt(key: string, p: Pending): void {
    p.attempts++;
    try {
      this.transport.send(p.packet, p.req.port, p.req.address);
    } catch {
      /* a send error is treated like a lost datagram */
    }
    p.timer = this.timers.setTimeout(() => {
      if (this.#pending.get(key) !== p) return;
      if (p.attempts > this.retry.retries) return this.#finish(key, p, { result: 'timeout', attempts: p.attempts });
      p.wait = Math.min(p.wait * this.retry.backoffFactor, this.retry.maxTimeoutMs);
      this.#attempt(key, p);
    }, p.wait);
  }

  #onReply(packet: Buffer, from: { address: string; port: number }): void {
    if (packet.length < 20) return;
    const key = `${canonical(from.address)}|${from.port}|${packet[1]}`;
    const p = this.#pending.get(key);
    if (!p) return;
    let decoded;
    try {
      decoded = verifyResponse(packet, p.packet.subarray(4, 20), p.req.secret, { requireMessageAuthenticator: false });
    } catch {
      return; // forged or corrupt: keep waiting (RFC 5176 §3.5 silent discard)
    }
    const ack = p.req.code === 'Disconnect-Request' ? 41 : 44;
    if (decoded.code !== ack && decoded.code !== ack + 1) return;
    const outcome: CoaOutcome = { result: decoded.code === ack ? 'ack' : 'nak', attempts: p.attempts };
    const cause = decoded.getInt('Error-Cause');
    if (cause !== undefined) outcome.errorCause = cause;
    this.#finish(key, p, outcome);
  }

  #finish(key: string, p: Pending, outcome: CoaOutcome): void {
    this.timers.clearTimeout(p.timer);
    this.#pending.delete(key);
    p.resolve(outcome);
  }

  #allocate(dest: string): number | undefined {
    const start = this.#nextId.get(dest) ?? Math.floor(Math.random() * 256);
    for (let i = 0; i < 256; i++) {
      const id = (start + i) & 0xff;
      if (!this.#pending.has(`${dest}|${id}`)) {
        this.#nextId.set(dest, (id + 1) & 0xff);
        return id;
      }
    }
    return undefined;
  }
}
