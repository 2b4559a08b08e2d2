/**
 * RADIUS counters (prom-client, `gatehouse_radius_` prefix). The per-datagram path only bumps
 * plain numbers; they are handed to prom-client when the registry is scraped (collect()), so a
 * request costs no label hashing.
 *
 * Rules:
 * - Every silently discarded packet is counted by reason (RFC 2865 §3 "silently discarded" must
 *   still be observable): unknown-nas, malformed, bad-authenticator, missing-message-authenticator,
 *   unexpected-code, replay-conflict, unknown-state, eap-discard, eap-sessions-full,
 *   radsec-framing, internal-error.
 * - Retransmissions answered from the reply cache are counted separately (RFC 5080 §2.2.2).
 */
import { gauge, LazyCounter, type Registry, type Tally } from '../../platform/metrics.ts';

export type { Tally };

export const DROP_REASONS = [
  'unknown-nas',
  'malformed',
  'bad-authenticator',
  'missing-message-authenticator',
  'unexpected-code',
  'replay-conflict',
  'unknown-state',
  'eap-discard',
  'eap-sessions-full',
  'radsec-framing',
  'internal-error',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export class RadiusMetrics {
  readonly #drops: LazyCounter;
  readonly #requests: LazyCounter;
  readonly #decisions: LazyCounter;
  readonly #coa: LazyCounter;
  readonly #accounting: LazyCounter;
  readonly #dropCells = new Map<DropReason, Tally>();
  /** Per-request cells by plain key (no label join per packet): code; method for accept / reject. */
  readonly #requestCells = new Map<string, Tally>();
  readonly #acceptCells = new Map<string, Tally>();
  readonly #rejectCells = new Map<string, Tally>();
  readonly retransmits: Tally;
  readonly auditDropped: Tally;
  readonly eapSessions: { set(n: number): void };
  /** Discards by reason in this process (for tests and the status page). */
  readonly dropped = new Map<DropReason, number>();

  constructor(reg?: Registry) {
    this.#drops = new LazyCounter(reg, 'gatehouse_radius_dropped_total', 'RADIUS packets silently discarded', [
      'reason',
    ]);
    this.#requests = new LazyCounter(
      reg,
      'gatehouse_radius_requests_total',
      'RADIUS requests accepted for processing',
      ['code'],
    );
    this.#decisions = new LazyCounter(reg, 'gatehouse_radius_decisions_total', 'Access decisions', [
      'method',
      'result',
    ]);
    this.#coa = new LazyCounter(reg, 'gatehouse_radius_coa_total', 'CoA/Disconnect outcomes', ['result']);
    this.#accounting = new LazyCounter(reg, 'gatehouse_radius_accounting_total', 'Accounting requests by status', [
      'status',
    ]);
    for (const r of DROP_REASONS) this.#dropCells.set(r, this.#drops.cell(r));
    this.retransmits = new LazyCounter(
      reg,
      'gatehouse_radius_retransmits_total',
      'Retransmissions answered from the reply cache',
      [],
    ).cell();
    this.auditDropped = new LazyCounter(
      reg,
      'gatehouse_radius_audit_dropped_total',
      'Access decisions not audited (overload or error)',
      [],
    ).cell();
    this.eapSessions = reg
      ? gauge(reg, 'gatehouse_radius_eap_sessions', 'Live EAP-TLS sessions')
      : { set: () => undefined };
  }

  drop(reason: DropReason): void {
    this.#dropCells.get(reason)?.inc();
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  request(code: string): void {
    let c = this.#requestCells.get(code);
    if (!c) this.#requestCells.set(code, (c = this.#requests.cell(code)));
    c.inc();
  }

  decision(method: string, allow: boolean): void {
    const cells = allow ? this.#acceptCells : this.#rejectCells;
    let c = cells.get(method);
    if (!c) cells.set(method, (c = this.#decisions.cell(method, allow ? 'accept' : 'reject')));
    c.inc();
  }

  coa(result: string): void {
    this.#coa.cell(result).inc();
  }

  accounting(status: string): void {
    this.#accounting.cell(status).inc();
  }
}
