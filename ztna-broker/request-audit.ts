/**
 * Audit of proxied requests (allowed and denied) into the hash-chained audit log.
 *
 * Rules enforced:
 * - mode 'each': one audit entry per decision, written BEFORE the request is forwarded; if the
 *   audit write fails the request is not forwarded (the caller answers 503).
 * - mode 'summary': per (session or anonymous reason, route) the counts of allowed and denied
 *   requests, the matched rule ids and the deny reasons, flushed every interval and at stop —
 *   an attacker's flood of denials costs one entry per interval, not one per request.
 * - Every entry names the rule id that matched (or null on default deny) and the reasons.
 * - Session starts/ends, logins refused, grants, approvals and kills are always individual
 *   entries (written by their services, not here).
 */
import type { AuditLog } from '../platform/audit/index.ts';
import type { Logger } from '../platform/log.ts';

export interface RequestRecord {
  sessionId: string | null;
  user: string | null;
  routeId: string | null;
  method: string;
  path: string;
  sourceIp: string;
  certSerial: string | null;
  allow: boolean;
  ruleId: string | null;
  reasons: readonly string[];
  websocket: boolean;
}

interface Bucket {
  user: string | null;
  sessionId: string | null;
  routeId: string | null;
  allowed: number;
  denied: number;
  rules: Record<string, number>;
  reasons: Record<string, number>;
  /** Epoch ms; formatted (ISO 8601) when the summary is written, not per request. */
  first: number;
  last: number;
}

export class RequestAuditor {
  private buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly audit: AuditLog,
    private readonly log: Logger,
    private readonly opts: { mode: 'each' | 'summary'; intervalSeconds: number; now: () => number },
  ) {
    if (opts.mode === 'summary') {
      this.timer = setInterval(() => void this.flush(), opts.intervalSeconds * 1000);
      this.timer.unref();
    }
  }

  /** Records one decision; in 'each' mode resolves after the entry is durable. */
  async record(r: RequestRecord): Promise<void> {
    if (r.allow) {
      // built only when debug is on: this runs for every proxied request
      if (this.log.isLevelEnabled('debug')) this.log.debug({ route: r.routeId, rule: r.ruleId, user: r.user, path: r.path }, 'request allowed');
    } else this.log.info({ route: r.routeId, rule: r.ruleId, user: r.user, path: r.path, reasons: r.reasons }, 'request denied');
    if (this.opts.mode === 'each') {
      await this.audit.record({
        actor: r.user ? `user:${r.user}` : `anonymous:${r.sourceIp}`,
        action: r.allow ? 'broker.request.allow' : 'broker.request.deny',
        target: r.routeId ? `route:${r.routeId}` : null,
        data: { session: r.sessionId, method: r.method, path: r.path, websocket: r.websocket, rule: r.ruleId, reasons: r.reasons, sourceIp: r.sourceIp, certSerial: r.certSerial },
      });
      return;
    }
    const key = `${r.sessionId ?? `anon:${r.reasons[0] ?? ''}`}\u0000${r.routeId ?? ''}`;
    const at = this.opts.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { user: r.user, sessionId: r.sessionId, routeId: r.routeId, allowed: 0, denied: 0, rules: {}, reasons: {}, first: at, last: at };
      this.buckets.set(key, b);
    }
    if (r.allow) b.allowed++;
    else b.denied++;
    b.last = at;
    if (r.ruleId !== null) b.rules[r.ruleId] = (b.rules[r.ruleId] ?? 0) + 1;
    for (const reason of r.reasons) b.reasons[reason] = (b.reasons[reason] ?? 0) + 1;
  }

  /** Writes the pending summaries (one entry per bucket). */
  async flush(): Promise<void> {
    if (this.buckets.size === 0) return;
    const buckets = this.buckets;
    this.buckets = new Map();
    for (const [key, b] of buckets) {
      try {
        await this.audit.record({
          actor: b.user ? `user:${b.user}` : 'anonymous',
          action: 'broker.request.summary',
          target: b.routeId ? `route:${b.routeId}` : null,
          data: { session: b.sessionId, allowed: b.allowed, denied: b.denied, rules: b.rules, reasons: b.reasons, first: new Date(b.first).toISOString(), last: new Date(b.last).toISOString() },
        });
      } catch (e) {
        this.log.error({ err: e }, 'request audit summary failed; kept for the next flush');
        this.requeue(key, b);
      }
    }
  }

  private requeue(key: string, b: Bucket): void {
    const cur = this.buckets.get(key);
    if (cur === undefined) return void this.buckets.set(key, b);
    cur.allowed += b.allowed;
    cur.denied += b.denied;
    cur.first = b.first;
    for (const [k, n] of Object.entries(b.rules)) cur.rules[k] = (cur.rules[k] ?? 0) + n;
    for (const [k, n] of Object.entries(b.reasons)) cur.reasons[k] = (cur.reasons[k] ?? 0) + n;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
