/**
 * One CRL publication: allocate the number, read the rows, build, sign, store + audit + announce.
 * The caller (CrlService) guarantees one publication per issuer at a time on this node.
 *
 * Rules enforced:
 * - RFC 5280 §5.2.3: the number is allocated and committed first (crlStore.withNextNumber); the
 *   rows are read after it (inside its lock on PostgreSQL), so a higher number never lists less.
 * - §5.1.2.4 / §5.1.2.5: thisUpdate is taken once the number is held, in whole seconds;
 *   nextUpdate = thisUpdate + validitySeconds (complete) or deltaValiditySeconds (delta).
 * - §5.2.4: a delta's base is the OLDEST complete CRL still within its validity, so any client
 *   holding an unexpired complete CRL can apply it (base <= its number < delta number). It lists
 *   changes since the base's thisUpdate minus a safety margin (revocations committed while the
 *   base was read). Over maxDeltaEntries: retry on the newest complete CRL; if that overflows
 *   too, publish a new complete CRL first and accept the delta at any size.
 * - §5.2.5 / §5.2.6: IDP = the certificates' CDP URL; complete CRLs point to the delta URL.
 * - Store + audit entry 'crl.publish' (number, entries, hash) + cross-node NOTIFY in ONE
 *   transaction; the cache and local subscribers learn of it after the commit.
 */
import { createHash } from 'node:crypto';
import type { AuditLog } from '../../platform/audit/index.ts';
import { withTx, type Db } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { EventBus } from '../../platform/events.ts';
import type { Logger } from '../../platform/log.ts';
import { issuerUrls } from '../extensions.ts';
import type { CertificateAuthority } from '../types.ts';
import { CrlBuilder, crlIssuerOf } from './builder.ts';
import type { CrlCache, PublishedCrl } from './cache.ts';
import { crlStore, type StoredCrlMeta } from './store.ts';

export interface PublishDeps {
  db: Db;
  ca: Pick<CertificateAuthority, 'issuer'>;
  bus: EventBus;
  audit?: AuditLog | undefined;
  log: Logger;
  cache: CrlCache;
  publicUrl: string;
  config: { validitySeconds: number; deltaValiditySeconds: number };
  tuning: { retain: number; maxDeltaEntries: number; deltaMarginSeconds: number; pageSize: number };
  now: () => Date;
}

/** The URLs of an issuer's complete CRL (= the certificates' CDP) and delta CRL. */
export function crlUrls(publicUrl: string, issuerId: string): { full: string; delta: string } {
  const full = issuerUrls(publicUrl, issuerId).crl;
  return { full, delta: full.replace(/\.crl$/, '-delta.crl') };
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** Publishes one CRL. Deltas: attempt 0 = oldest valid base, 1 = newest base, 2 = new base first. */
export async function publishCrl(d: PublishDeps, issuerId: string, delta: boolean, attempt = 0): Promise<PublishedCrl> {
  const { db, tuning } = d;
  const loaded = d.ca.issuer(issuerId);
  if (!loaded) throw new AppError('ERR_NOT_FOUND', `unknown issuer ${issuerId}`);
  const urls = crlUrls(d.publicUrl, issuerId);
  const lastFull = await crlStore.latestMeta(db, issuerId, false);
  let base: StoredCrlMeta | null = null;
  if (delta) {
    base = attempt > 0 ? lastFull : await crlStore.oldestValidFull(db, issuerId, seconds(d.now()));
    base ??= await publishCrl(d, issuerId, false);
  }
  const t0 = performance.now();
  const builder = await crlStore.withNextNumber(db, issuerId, async (number, q) => {
    const thisUpdate = new Date(seconds(d.now()) * 1000);
    const asOf = seconds(thisUpdate);
    const b = new CrlBuilder({
      issuer: crlIssuerOf(loaded),
      number,
      thisUpdate,
      nextUpdate: new Date(
        thisUpdate.getTime() + (delta ? d.config.deltaValiditySeconds : d.config.validitySeconds) * 1000,
      ),
      idpUrl: urls.full,
      freshestUrl: delta ? undefined : urls.delta,
      baseNumber: base?.number,
      sizeHint: delta ? 256 : (lastFull?.entries ?? 0) + 1024,
    });
    if (!base) {
      for await (const page of crlStore.revokedPages(q, issuerId, asOf, tuning.pageSize))
        for (const r of page) b.add(r);
      return b;
    }
    const cap = attempt < 2 ? tuning.maxDeltaEntries : Number.MAX_SAFE_INTEGER - 1;
    const rows = await crlStore.changedSince(
      q,
      issuerId,
      seconds(base.thisUpdate) - tuning.deltaMarginSeconds,
      asOf,
      cap,
    );
    if (rows.length > cap) return null;
    for (const r of rows) b.add(r);
    return b;
  });
  if (!builder) {
    if (attempt === 1) await publishCrl(d, issuerId, false);
    return publishCrl(d, issuerId, true, attempt + 1);
  }
  const t1 = performance.now();
  const built = builder.sign();
  const t2 = performance.now();
  if (built.skipped > 0)
    d.log.warn({ issuerId, skipped: built.skipped }, 'removeFromCRL rows skipped in a complete CRL');
  const crl: PublishedCrl = {
    issuerId,
    number: Number(built.number),
    delta,
    baseNumber: base?.number ?? null,
    thisUpdate: built.thisUpdate,
    nextUpdate: built.nextUpdate,
    entries: built.entries,
    der: built.der,
  };
  const event = { issuerId, crlNumber: String(crl.number), delta };
  await withTx(db, async (trx) => {
    await crlStore.insert(trx, crl);
    await d.audit?.append(trx, {
      actor: 'system:crl',
      action: 'crl.publish',
      target: issuerId,
      data: {
        number: crl.number,
        delta,
        baseNumber: crl.baseNumber,
        entries: crl.entries,
        thisUpdate: crl.thisUpdate.toISOString(),
        nextUpdate: crl.nextUpdate.toISOString(),
        sha256: createHash('sha256').update(crl.der).digest('hex'),
      },
    });
    await d.bus.notifyTx(trx, 'crl.published', event);
  });
  d.cache.put(crl);
  d.bus.emitLocal('crl.published', event);
  const t3 = performance.now();
  await crlStore
    .prune(db, issuerId, delta, tuning.retain, seconds(d.now()))
    .catch((e) => d.log.warn({ err: e, issuerId }, 'CRL prune failed'));
  const ms = (a: number, b: number) => Math.round(b - a);
  d.log.info(
    {
      issuerId,
      number: crl.number,
      delta,
      entries: crl.entries,
      bytes: crl.der.length,
      readMs: ms(t0, t1),
      signMs: ms(t1, t2),
      storeMs: ms(t2, t3),
      pruneMs: ms(t3, performance.now()),
    },
    'CRL published',
  );
  return crl;
}
