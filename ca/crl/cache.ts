/**
 * In-memory cache of the newest complete and delta CRL per issuer, with the database as the
 * source of truth (another node may have published a newer one).
 *
 * Rules enforced:
 * - The cache is keyed by CRL number: an entry is only ever replaced by a HIGHER number, so a
 *   slow reader can never roll a node back to an older CRL (RFC 5280 §5.2.3 monotonic numbers).
 * - An entry is re-checked against the database when it is older than `checkMs`, when its
 *   nextUpdate has passed, or when a 'crl.published' event announced a higher number; the check
 *   reads metadata only and loads the DER only when the number changed.
 * - Concurrent requests share one database round trip per issuer and kind.
 * - If the database cannot answer, the cached CRL (if any) is still served: it is signed and
 *   carries its own nextUpdate, so relying parties judge its freshness themselves.
 * - PEM (RFC 7468 `X509 CRL`) is rendered once per CRL and kept with it.
 */
import type { Db } from '../../platform/db/index.ts';
import type { Logger } from '../../platform/log.ts';
import { toPem } from '../asn1/index.ts';
import { crlStore, type StoredCrl } from './store.ts';

export type PublishedCrl = StoredCrl;

interface Entry {
  crl: PublishedCrl;
  checkedAt: number;
  stale: boolean;
  pem?: Buffer;
}

const keyOf = (issuerId: string, delta: boolean): string => `${issuerId}\u0000${delta ? 'd' : 'f'}`;

export class CrlCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<PublishedCrl | null>>();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly checkMs: number,
  ) {}

  /** Offers a CRL this node just published (ignored if the cache already has a higher one). */
  put(crl: PublishedCrl): void {
    const k = keyOf(crl.issuerId, crl.delta);
    const cur = this.entries.get(k);
    if (cur && cur.crl.number >= crl.number) return;
    this.entries.set(k, { crl, checkedAt: Date.now(), stale: false });
  }

  /** Marks the entry for re-checking when `number` (from an event) is higher than the cached one. */
  announce(issuerId: string, delta: boolean, number: number): void {
    const cur = this.entries.get(keyOf(issuerId, delta));
    if (cur && cur.crl.number < number) cur.stale = true;
  }

  invalidateAll(): void {
    for (const e of this.entries.values()) e.stale = true;
  }

  async latest(issuerId: string, delta: boolean): Promise<PublishedCrl | null> {
    const k = keyOf(issuerId, delta);
    const cur = this.entries.get(k);
    const now = Date.now();
    if (cur && !cur.stale && now - cur.checkedAt < this.checkMs && now < cur.crl.nextUpdate.getTime()) return cur.crl;
    let p = this.loading.get(k);
    if (!p) {
      p = this.refresh(k, issuerId, delta).finally(() => this.loading.delete(k));
      this.loading.set(k, p);
    }
    return p;
  }

  pem(crl: PublishedCrl): Buffer {
    const e = this.entries.get(keyOf(crl.issuerId, crl.delta));
    if (e && e.crl.number === crl.number) return (e.pem ??= Buffer.from(toPem('X509 CRL', crl.der), 'latin1'));
    return Buffer.from(toPem('X509 CRL', crl.der), 'latin1');
  }

  private async refresh(k: string, issuerId: string, delta: boolean): Promise<PublishedCrl | null> {
    const cur = this.entries.get(k);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const meta = await crlStore.latestMeta(this.db, issuerId, delta);
        if (!meta) return cur?.crl ?? null;
        const fresh = this.entries.get(k);
        if (fresh && fresh.crl.number >= meta.number) {
          fresh.checkedAt = Date.now();
          fresh.stale = false;
          return fresh.crl;
        }
        const row = await crlStore.byNumber(this.db, issuerId, meta.number);
        if (row && row.der.length > 0) {
          this.put(row);
          return this.entries.get(k)!.crl;
        }
        // pruned between the two reads: look again
      }
      return cur?.crl ?? null;
    } catch (e) {
      if (!cur) throw e;
      this.log.warn({ err: e, issuerId, delta }, 'CRL cache refresh failed; serving the cached CRL');
      return cur.crl;
    }
  }
}
