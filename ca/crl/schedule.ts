/**
 * When CRLs are rebuilt: a periodic due-check per issuer and a debounced rebuild after
 * revocations. Knows nothing about DER or the database; the service supplies the actions.
 *
 * Rules enforced:
 * - Rebuild after revocations is debounced per issuer: each revocation pushes the rebuild back
 *   by `debounceMs`, but never more than `maxWaitMs` after the first one of the burst, so a
 *   steady stream of revocations still gets CRLs. Vault rebuilt on every revocation and burned
 *   2-3 s CPU each at 17k entries; here a burst of 1,000 revocations costs a handful of builds.
 * - At most one rebuild per issuer runs at a time; revocations that arrive meanwhile schedule
 *   exactly one more (they may have been committed after that build read its rows). A failed
 *   rebuild is retried after `retryMs` (the revocation must not wait for the next schedule).
 * - The due-check loop (RFC 5280 §5.1.2.5: a new CRL is issued well before nextUpdate) is a
 *   chain of setTimeout calls, so a slow check never overlaps the next one.
 * - stop() clears every timer, waits for running work, and makes later events no-ops. Timers
 *   stay referenced on purpose: a leaked one is visible (active handles, a test run that hangs)
 *   instead of silently outliving its service.
 */
import type { Logger } from '../../platform/log.ts';

export interface ScheduleActions {
  /** Publishes whatever is due for every issuer (missing, past the rebuild interval, ...). */
  runDue(): Promise<void>;
  /** Rebuilds an issuer's CRLs after revocations. */
  rebuild(issuerId: string): Promise<void>;
}

export interface ScheduleOptions {
  tickMs: number;
  debounceMs: number;
  maxWaitMs: number;
  /** Delay before a failed rebuild after revocations is retried. */
  retryMs: number;
}

interface Burst {
  timer: NodeJS.Timeout | null;
  firstAt: number;
  running: Promise<void> | null;
  again: boolean;
}

export class CrlSchedule {
  private readonly bursts = new Map<string, Burst>();
  private tickTimer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly actions: ScheduleActions,
    private readonly opts: ScheduleOptions,
    private readonly log: Logger,
  ) {}

  /** Runs the due-check now and then every tickMs. */
  start(): Promise<void> {
    this.stopped = false;
    return this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    for (const b of this.bursts.values()) {
      if (b.timer) clearTimeout(b.timer);
      b.timer = null;
      b.again = false;
    }
    await Promise.allSettled([this.ticking, ...[...this.bursts.values()].map((b) => b.running)]);
    this.bursts.clear();
  }

  /** Called for every 'cert.revoked' event. */
  revoked(issuerId: string): void {
    if (this.stopped) return;
    let b = this.bursts.get(issuerId);
    if (!b) {
      b = { timer: null, firstAt: 0, running: null, again: false };
      this.bursts.set(issuerId, b);
    }
    if (b.running) b.again = true;
    else this.arm(issuerId, b);
  }

  /** Number of issuers with a rebuild waiting or running (for tests and metrics). */
  get pending(): number {
    let n = 0;
    for (const b of this.bursts.values()) if (b.timer || b.running) n++;
    return n;
  }

  private arm(issuerId: string, b: Burst, delay?: number): void {
    const now = Date.now();
    if (b.timer) clearTimeout(b.timer);
    else b.firstAt = now;
    const wait = delay ?? Math.max(0, Math.min(this.opts.debounceMs, b.firstAt + this.opts.maxWaitMs - now));
    b.timer = setTimeout(() => this.fire(issuerId, b), wait);
  }

  private fire(issuerId: string, b: Burst): void {
    b.timer = null;
    if (this.stopped) return;
    let failed = false;
    b.running = this.actions
      .rebuild(issuerId)
      .catch((e) => {
        failed = true;
        this.log.error({ err: e, issuerId }, 'CRL rebuild after revocation failed; will retry');
      })
      .finally(() => {
        b.running = null;
        if ((b.again || failed) && !this.stopped) {
          b.again = false;
          this.arm(issuerId, b, failed ? this.opts.retryMs : undefined);
        }
      });
  }

  private tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const run = this.actions
      .runDue()
      .catch((e) => this.log.error({ err: e }, 'CRL due-check failed'))
      .finally(() => {
        this.ticking = null;
        if (this.stopped) return;
        this.tickTimer = setTimeout(() => void this.tick(), this.opts.tickMs);
      });
    this.ticking = run;
    return run;
  }
}
