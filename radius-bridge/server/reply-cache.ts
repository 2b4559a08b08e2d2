/**
 * Duplicate detection and the reply cache (RFC 5080 §2.2.2, RFC 2865 §3 Identifier).
 *
 * Rules:
 * - A request is identified by (source, Identifier, Request Authenticator); a source (NAS address
 *   and port, or one RadSec connection) has at most 256 outstanding Identifiers, so the cache is
 *   a 256-slot table per source: a new Request Authenticator on an Identifier replaces the slot.
 * - The same Identifier + Request Authenticator + octets within `ttlMs` is a retransmission: it
 *   gets the reply of the first copy (the same promise while that one is still being processed),
 *   never a second evaluation, so a retransmitted EAP round cannot advance the EAP state twice.
 * - The same Identifier + Request Authenticator with different octets is a conflicting replay: the
 *   caller discards and counts it.
 * - Only requests that passed authenticator verification are remembered (the caller's job), so
 *   forged datagrams cannot poison the cache.
 * - Bounded: at most `max / 256` sources (the least recently added go first); `ttlMs` 0 or `max`
 *   0 disables the cache. No per-request sweeping: a slot is checked for expiry when read.
 */

interface Slot {
  auth: Buffer;
  request: Buffer;
  reply: Promise<Buffer | null>;
  expires: number;
}

export const CONFLICT = Symbol('reply-cache-conflict');

export interface ReplyCacheOptions {
  ttlMs: number;
  max: number;
  now?: () => number;
}

export class ReplyCache {
  readonly #sources = new Map<string, Array<Slot | undefined>>();
  readonly #ttl: number;
  readonly #maxSources: number;
  readonly #now: () => number;

  constructor(opts: ReplyCacheOptions) {
    this.#ttl = opts.max > 0 ? opts.ttlMs : 0;
    this.#maxSources = Math.max(1, Math.ceil(opts.max / 256));
    this.#now = opts.now ?? Date.now;
  }

  /** Live slots (for tests). */
  get size(): number {
    const now = this.#now();
    let n = 0;
    for (const slots of this.#sources.values()) for (const s of slots) if (s && s.expires > now) n++;
    return n;
  }

  /** The cached reply for a retransmission, CONFLICT for a replay with other octets, else undefined. */
  get(source: string, id: number, auth: Buffer, request: Buffer): Promise<Buffer | null> | typeof CONFLICT | undefined {
    const s = this.#sources.get(source)?.[id];
    if (!s || s.expires <= this.#now() || !s.auth.equals(auth)) return undefined;
    return s.request.equals(request) ? s.reply : CONFLICT;
  }

  set(source: string, id: number, auth: Buffer, request: Buffer, reply: Promise<Buffer | null>): void {
    if (this.#ttl <= 0) return;
    let slots = this.#sources.get(source);
    if (!slots) {
      if (this.#sources.size >= this.#maxSources) this.#evict();
      slots = new Array<Slot | undefined>(256);
      this.#sources.set(source, slots);
    }
    slots[id] = { auth, request, reply, expires: this.#now() + this.#ttl };
  }

  delete(source: string, id: number): void {
    const slots = this.#sources.get(source);
    if (slots) slots[id] = undefined;
  }

  clear(): void {
    this.#sources.clear();
  }

  #evict(): void {
    const now = this.#now();
    for (const [k, slots] of this.#sources) if (!slots.some((s) => s && s.expires > now)) this.#sources.delete(k);
    while (this.#sources.size >= this.#maxSources) {
      const oldest = this.#sources.keys().next().value as string | undefined;
      if (oldest === undefined) break;
      this.#sources.delete(oldest);
    }
  }
}
