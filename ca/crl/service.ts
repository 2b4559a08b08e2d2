/**
 * CrlService: keeps complete and delta CRLs published for every issuer the CA runs, serves the
 * newest one from memory, and rebuilds on a schedule and (debounced) after revocations.
 * One publication (number, rows, build, sign, store + audit + announce) is publish.ts.
 *
 * Rules enforced:
 * - RFC 5280 §5.2.3: a node never serves a lower CRL number than one it has seen (cache.ts).
 * - §5.1.2.5: a complete CRL is rebuilt every rebuildIntervalSeconds and always by the middle of
 *   its validity, so it is replaced well before nextUpdate; a delta every half of its validity
 *   and after every complete CRL (so the newest delta always covers the newest complete CRL).
 * - After 'cert.revoked' (local or from another node) the issuer's complete CRL and then its
 *   delta are rebuilt, debounced (schedule.ts). 'bus.resync' (events may have been missed)
 *   invalidates the cache and rebuilds every issuer.
 * - Every issuer whose certificate has not expired gets CRLs, active, retiring or retired: its
 *   certificates (capped at the issuer's notAfter) may still be presented until then.
 * - One publication at a time per issuer on this node; stop() leaves no timer or build behind.
 */
import type { AuditLog } from '../../platform/audit/index.ts';
import type { CaConfig } from '../../platform/config/index.ts';
import type { Db } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { Logger } from '../../platform/log.ts';
import type { CertificateAuthority } from '../types.ts';
import { CrlCache, type PublishedCrl } from './cache.ts';
import { publishCrl, type PublishDeps } from './publish.ts';
import { CrlSchedule } from './schedule.ts';
import { crlStore, type StoredCrlMeta } from './store.ts';

export type { PublishedCrl } from './cache.ts';
export { crlUrls } from './publish.ts';
export type CrlConfig = CaConfig['crl'];

export interface CrlTuning {
  /** Newest CRLs of each kind that keep their DER in the database (older valid ones keep metadata). */
  retain: number;
  maxDeltaEntries: number;
  /** Delta CRLs look back this far before the base's thisUpdate (in-flight revocations). */
  deltaMarginSeconds: number;
  cacheCheckMs: number;
  /** A revocation burst waits at most this long for its rebuild (default 5 x debounceMs). */
  maxWaitMs: number;
  tickMs: number;
  retryMs: number;
  pageSize: number;
}

export interface CrlServiceOptions {
  db: Db;
  ca: Pick<CertificateAuthority, 'issuer' | 'issuers'>;
  bus: EventBus;
  config: CrlConfig;
  /** http.publicUrl: the base of the CDP/IDP URLs put in certificates. */
  publicUrl: string;
  log: Logger;
  audit?: AuditLog | undefined;
  now?: () => Date;
  tuning?: Partial<CrlTuning>;
}

export class CrlService {
  private readonly t: CrlTuning;
  private readonly cache: CrlCache;
  private readonly schedule: CrlSchedule;
  private readonly deps: PublishDeps;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly now: () => Date;
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly o: CrlServiceOptions) {
    const c = o.config;
    this.now = o.now ?? (() => new Date());
    this.t = {
      retain: 3,
      maxDeltaEntries: 100_000,
      deltaMarginSeconds: 300,
      cacheCheckMs: 5_000,
      maxWaitMs: Math.max(c.debounceMs * 5, 1_000),
      tickMs: Math.min(30_000, Math.max(1_000, c.rebuildIntervalSeconds * 100)),
      retryMs: Math.max(5_000, c.debounceMs),
      pageSize: 10_000,
      ...o.tuning,
    };
    this.cache = new CrlCache(o.db, o.log, this.t.cacheCheckMs);
    this.deps = { ...o, cache: this.cache, tuning: this.t, now: this.now };
    this.schedule = new CrlSchedule(
      { runDue: () => this.runDue(), rebuild: (id) => this.rebuild(id) },
      { ...this.t, debounceMs: c.debounceMs },
      o.log,
    );
  }

  /** Subscribes to events, publishes whatever is missing or due, then keeps the schedule. */
  async start(): Promise<void> {
    const { bus } = this.o;
    this.unsubscribe = [
      bus.subscribe('cert.revoked', (p) => {
        if (this.o.ca.issuer(p.issuerId)) this.schedule.revoked(p.issuerId);
      }),
      bus.subscribe('crl.published', (p) => this.cache.announce(p.issuerId, p.delta, Number(p.crlNumber))),
      bus.subscribe('bus.resync', () => {
        this.cache.invalidateAll();
        for (const id of this.publishable()) this.schedule.revoked(id);
      }),
    ];
    await this.schedule.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await this.schedule.stop();
    await Promise.allSettled([...this.locks.values()]);
  }

  /** Builds, signs, stores and announces a new CRL for the issuer. */
  publish(issuerId: string, opts: { delta?: boolean } = {}): Promise<PublishedCrl> {
    return this.locked(issuerId, () => publishCrl(this.deps, issuerId, opts.delta === true));
  }

  /** The newest CRL (memory first, then the database); null when none was published yet. */
  latest(issuerId: string, opts: { delta?: boolean } = {}): Promise<PublishedCrl | null> {
    return this.cache.latest(issuerId, opts.delta === true);
  }

  /** PEM text of a CRL returned by latest() (rendered once per CRL). */
  pem(crl: PublishedCrl): Buffer {
    return this.cache.pem(crl);
  }

  /** Issuers with a revocation-triggered rebuild waiting or running (metrics, tests). */
  get pendingRebuilds(): number {
    return this.schedule.pending;
  }

  knows(issuerId: string): boolean {
    return this.o.ca.issuer(issuerId) !== undefined;
  }

  /** DER of the issuer's certificate (served for AIA caIssuers), null for unknown issuers. */
  issuerCertificate(issuerId: string): Buffer | null {
    return this.o.ca.issuer(issuerId)?.record.certDer ?? null;
  }

  /** Publishes what is due for every publishable issuer; one failing issuer does not stop others. */
  async runDue(): Promise<void> {
    for (const id of this.publishable()) {
      await this.locked(id, () => this.publishDue(id)).catch((e) =>
        this.o.log.error({ err: e, issuerId: id }, 'scheduled CRL publication failed'),
      );
    }
  }

  private publishable(): string[] {
    const now = this.now().getTime();
    return this.o.ca
      .issuers()
      .filter((i) => i.record.notAfter.getTime() > now)
      .map((i) => i.record.id);
  }

  private rebuild(issuerId: string): Promise<void> {
    if (!this.o.ca.issuer(issuerId)) return Promise.resolve();
    return this.locked(issuerId, async () => {
      await publishCrl(this.deps, issuerId, false);
      await publishCrl(this.deps, issuerId, true);
    });
  }

  private async publishDue(issuerId: string): Promise<void> {
    const now = this.now().getTime();
    let full: StoredCrlMeta | null = await crlStore.latestMeta(this.o.db, issuerId, false);
    if (!full || now >= half(full, this.o.config.rebuildIntervalSeconds))
      full = await publishCrl(this.deps, issuerId, false);
    const delta = await crlStore.latestMeta(this.o.db, issuerId, true);
    if (!delta || delta.number < full.number || now >= half(delta, this.o.config.deltaValiditySeconds))
      await publishCrl(this.deps, issuerId, true);
  }

  /** Runs fn after every earlier task of the same issuer (one build per issuer at a time). */
  private locked<T>(issuerId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(issuerId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(issuerId, tail);
    void tail.then(() => {
      if (this.locks.get(issuerId) === tail) this.locks.delete(issuerId);
    });
    return next;
  }
}

/** When a CRL is due again: after `intervalSeconds`, and never later than half its validity. */
function half(m: StoredCrlMeta, intervalSeconds: number): number {
  const t = m.thisUpdate.getTime();
  return t + Math.min(intervalSeconds * 1000, (m.nextUpdate.getTime() - t) / 2);
}
