/**
 * Per-session budget: the caps every EAP-TLS session is held to (defaults in types.ts).
 *
 * Rules:
 * - Every packet handed to a session is charged, retransmissions and discarded ones included, so
 *   a peer cannot spin a session for free; the Identity Response that started it counts as one.
 * - Lifetime is measured with the engine's injectable clock from session start.
 * - The first cap broken is named ('lifetime' | 'round-limit' | 'byte-limit'); the session then
 *   fails with ERR_EAP_LIMIT.
 */
import type { EapTlsLimits } from './types.ts';

export type BudgetBreach = 'lifetime' | 'round-limit' | 'byte-limit';

export class SessionBudget {
  readonly startedAt: number;
  readonly #limits: Readonly<EapTlsLimits>;
  readonly #now: () => number;
  #rounds = 0;
  #bytesIn = 0;

  constructor(limits: Readonly<EapTlsLimits>, now: () => number) {
    this.#limits = limits;
    this.#now = now;
    this.startedAt = now();
  }

  get expired(): boolean {
    return this.#now() - this.startedAt > this.#limits.lifetimeMs;
  }

  get rounds(): number {
    return this.#rounds;
  }

  get bytesIn(): number {
    return this.#bytesIn;
  }

  /** Counts one packet of `octets`; returns the cap it breaks, if any. */
  charge(octets: number): BudgetBreach | undefined {
    this.#rounds++;
    this.#bytesIn += octets;
    if (this.expired) return 'lifetime';
    if (this.#rounds > this.#limits.maxRounds) return 'round-limit';
    if (this.#bytesIn > this.#limits.maxBytesIn) return 'byte-limit';
    return undefined;
  }
}
