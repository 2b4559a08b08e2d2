/**
 * Logging and auditing of access decisions (ARCHITECTURE habit 5: a denial is data).
 *
 * Rules:
 * - Every decision is counted and logged with its reasons (debug when it repeats, info when it
 *   changes; the log object is only built when the level is enabled).
 * - A decision is audited (action `radius.access`, actor `radius:<nas>`) when it differs from the
 *   last one audited for the same subject (device or MAC, NAS, method) or when the last one is
 *   older than `repeatMinutes`: a switch re-authenticating a port every minute does not flood the
 *   hash-chained log, yet every change of outcome, VLAN or reason is on record.
 * - Auditing never delays a RADIUS reply: entries are queued and written in the background, up to
 *   `batch` entries per transaction (one commit, one fsync), at most `maxPending` queued;
 *   overflow and write failures are counted and logged (and the subject re-audited later), never
 *   thrown. flush() waits for the queue (tests, shutdown).
 */
import type { AuditInput, AuditLog } from '../../platform/audit/index.ts';
import { withTx, type Db } from '../../platform/db/index.ts';
import type { Logger } from '../../platform/log.ts';
import type { VlanDecision, Method } from '../policy/vlan.ts';
import type { RadiusMetrics } from '../server/metrics.ts';

export interface DecisionRecord {
  method: Method;
  nas: string;
  /** `device:<id>`, else `mac:<mac>` (MAB), else `eap:<identity>`. */
  subject: string;
  mac: string | null;
  decision: VlanDecision;
  /** EAP-TLS: serial of the client certificate. */
  serial?: string | null;
  /** decisionKey(method, nas, subject), when the caller memoises it (MAB hot path). */
  key?: string;
}

/** The subject a repeat is suppressed for: method, NAS and device / MAC / identity. */
export const decisionKey = (method: Method, nas: string, subject: string): string => `${method}|${nas}|${subject}`;

const SUBJECTS_MAX = 100_000;

export class DecisionLog {
  readonly #last = new Map<string, { decision: VlanDecision; sig: string; at: number }>();
  #queue: Array<{ key: string; entry: AuditInput }> = [];
  #writing: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      audit: AuditLog | null;
      db: Db;
      log: Logger;
      metrics: RadiusMetrics;
      repeatMinutes: number;
      maxPending?: number;
      batch?: number;
      now?: () => number;
    },
  ) {}

  record(r: DecisionRecord): void {
    const { decision } = r;
    this.deps.metrics.decision(r.method, decision.allow);
    const key = r.key ?? decisionKey(r.method, r.nas, r.subject);
    const now = (this.deps.now ?? Date.now)();
    const prev = this.#last.get(key);
    const recent = prev !== undefined && now - prev.at < this.deps.repeatMinutes * 60_000;
    // The same verdict object (memoised by MAB) needs no signature; otherwise compare by value.
    const sig =
      recent && prev.decision === decision
        ? prev.sig
        : `${decision.allow}|${decision.vlan}|${decision.reasons.join(',')}`;
    if (recent && prev.sig === sig) {
      if (this.deps.log.isLevelEnabled('debug')) this.deps.log.debug(line(r), 'radius access decision');
      return;
    }
    this.deps.log.info(line(r), 'radius access decision');
    if (this.#last.size >= SUBJECTS_MAX) this.#last.clear();
    this.#last.set(key, { decision, sig, at: now });
    this.#enqueue(key, r);
  }

  /** Resolves once everything queued so far is written (or dropped). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  #enqueue(key: string, r: DecisionRecord): void {
    if (!this.deps.audit) return;
    if (this.#queue.length >= (this.deps.maxPending ?? 1024)) {
      this.deps.metrics.auditDropped.inc();
      this.#last.delete(key);
      return;
    }
    const d = r.decision;
    this.#queue.push({
      key,
      entry: {
        actor: `radius:${r.nas}`,
        action: 'radius.access',
        target: r.subject,
        data: {
          method: r.method,
          mac: r.mac,
          serial: r.serial ?? null,
          allow: d.allow,
          vlan: d.vlan,
          reasons: d.reasons,
        },
      },
    });
    this.#writing ??= this.#drain();
  }

  async #drain(): Promise<void> {
    const audit = this.deps.audit!;
    try {
      while (this.#queue.length) {
        await new Promise<void>((r) => setImmediate(r)); // let the current burst of requests queue up
        const batch = this.#queue.splice(0, this.deps.batch ?? 256);
        try {
          await withTx(this.deps.db, async (trx) => {
            for (const b of batch) await audit.append(trx, b.entry);
          });
        } catch (err) {
          for (const b of batch) this.#last.delete(b.key);
          this.deps.metrics.auditDropped.inc(batch.length);
          this.deps.log.error({ err, entries: batch.length }, 'radius access decisions could not be audited');
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }
}

function line(r: DecisionRecord) {
  const d = r.decision;
  return {
    nas: r.nas,
    method: r.method,
    subject: r.subject,
    mac: r.mac,
    allow: d.allow,
    vlan: d.vlan,
    reasons: d.reasons,
  };
}
