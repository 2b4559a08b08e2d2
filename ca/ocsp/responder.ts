/**
 * The OCSP responder: request DER in, signed response DER out (RFC 6960, RFC 5019, RFC 8954).
 * Knows no HTTP (router.ts adapts it).
 *
 * Rules enforced:
 * - Malformed request -> malformedRequest. The issuer is found by issuerNameHash + issuerKeyHash
 *   (SHA-1 or SHA-256), never by the serial alone (on a miss the CA re-reads its issuers at most
 *   every 10 s: rollover on another node); an issuer we do not serve, an unsupported
 *   CertID hash, or CertIDs of several issuers in one request (one delegated responder signs a
 *   response) -> unauthorized (RFC 5019 §2.2.3).
 * - Status comes from ca.status(): good, revoked with the real time and reason, or unknown when
 *   the serial is not ours — never good for a serial we do not have. If the store cannot answer
 *   (ERR_STORE_*, any DB error, a timeout) -> tryLater, never good (fail closed).
 * - Requests without a nonce and with one CertID get a pre-signed response cached per
 *   (issuer, serial, CertID form): thisUpdate = when the status was read, nextUpdate = thisUpdate
 *   + responseValiditySeconds; re-signed in the background once less than refreshBeforeSeconds
 *   remain (RFC 5019 §2.2 / §4 pre-production). Requests WITH a nonce (when allowed) are signed
 *   live with the nonce echoed (RFC 8954 §2.1); their status comes from the same cache.
 * - `unknown` (also every negative serial) is valid for unknownValiditySeconds (60) only, kept in
 *   its own small LRU, sent without HTTP caching headers and never put in the request memo.
 * - 'cert.revoked' events (local, or other nodes via the bus) drop the cached responses of that
 *   certificate at once, and a status read in flight at that moment is not cached; 'cert.issued'
 *   drops a cached `unknown`; 'bus.resync' (events possibly missed) clears the whole cache.
 * - Counters per outcome: gatehouse_ocsp_responses_total{status}, cache hits/misses, signatures.
 */
import type { EventBus } from '../../platform/events.ts';
import type { Logger } from '../../platform/log.ts';
import type { Registry } from '../../platform/metrics.ts';
import type { CaConfig } from '../../platform/config/sections/ca.ts';
import type { CertificateAuthority, LoadedIssuer } from '../types.ts';
import { negativeKey, ResponseCache, variantKey, type CachedResponse, type SignedForm } from './cache.ts';
import { postKey, RequestMemo } from './request-memo.ts';
import { ocspStatusOf, rateLimitedWarn, readStatus } from './errors.ts';
import { IssuerIndex } from './issuer-index.ts';
import { parseOcspRequest, type OcspCertId } from './request.ts';
import { ResponderCerts } from './responder-cert.ts';
import { signedResponse, signedResponseAsync, type OcspErrorStatus, type SingleStatus } from './response.ts';
import { cachedResult, errorResult, liveResult, ocspMetrics, signedForm, type OcspResult } from './results.ts';

export interface OcspResponderOptions {
  ca: Pick<CertificateAuthority, 'status' | 'issue' | 'issuers'> & { refreshIssuers?(): Promise<boolean> };
  bus: Pick<EventBus, 'subscribe'>;
  config: CaConfig['ocsp'];
  log: Logger;
  metrics: Registry;
  /** Most cached responses kept (LRU), default 100 000. */
  cacheSize?: number;
  /** A status read slower than this answers tryLater (default 5 s). */
  statusTimeoutMs?: number;
  /** Validity of `unknown` answers (default 60 s). */
  unknownValiditySeconds?: number;
}

export interface RespondOptions {
  /** Sign live and echo a requested nonce (default true); false serves pre-signed responses. */
  nonceAllowed?: boolean;
  /** Memo key of the request (request-memo.ts postKey/getKey); default postKey(requestDer). */
  requestKey?: string;
}

export type { OcspResult } from './results.ts';

export class OcspResponder {
  readonly certs: ResponderCerts;
  private readonly index: IssuerIndex;
  private readonly cache: ResponseCache;
  private readonly memo: RequestMemo;
  private readonly unsubscribe: Array<() => void>;
  private readonly parseOpts: { maxCertIds: number };
  private readonly m: ReturnType<typeof ocspMetrics>;
  private readonly warn: (e: unknown, msg: string) => void;

  constructor(private readonly opts: OcspResponderOptions) {
    const { config, metrics, bus } = opts;
    this.parseOpts = { maxCertIds: config.maxCertIds };
    this.index = new IssuerIndex(opts.ca);
    this.cache = new ResponseCache({
      maxEntries: opts.cacheSize ?? 100_000,
      validityMs: config.responseValiditySeconds * 1000,
      refreshBeforeMs: Math.min(config.refreshBeforeSeconds, config.responseValiditySeconds / 2) * 1000,
      unknownValidityMs: (opts.unknownValiditySeconds ?? 60) * 1000,
    });
    this.memo = new RequestMemo(opts.cacheSize ?? 100_000);
    this.certs = new ResponderCerts({ ca: opts.ca, config, log: opts.log });
    this.m = ocspMetrics(metrics);
    this.warn = rateLimitedWarn(opts.log, 10_000);
    this.unsubscribe = [
      bus.subscribe('cert.revoked', (p) => this.invalidate(p.issuerId, p.serial)),
      bus.subscribe('cert.issued', (p) => this.invalidate(p.issuerId, p.serial)),
      bus.subscribe('bus.resync', () => this.clear()),
    ];
  }

  /** Issues the responder certificates of every issuer now (instead of on first use). */
  async start(): Promise<void> {
    this.certs.start();
    await Promise.all(this.index.all().map((i) => this.certs.get(i.record.id).catch(() => undefined)));
  }

  stop(): void {
    this.certs.stop();
    for (const u of this.unsubscribe) u();
  }

  /** Cached answers for known certificates, and (unknownCacheSize) `unknown` answers. */
  get cacheSize(): number {
    return this.cache.size;
  }
  get unknownCacheSize(): number {
    return this.cache.unknownSize;
  }

  /** Drops every cached response of one certificate (done for you on 'cert.revoked'). */
  invalidate(issuerId: string, serial: string): void {
    this.cache.invalidate(issuerId, serial);
    this.m.entries.set(this.cache.size);
  }

  clear(): void {
    this.cache.clear();
    this.memo.clear();
    this.m.entries.set(0);
  }

  errorResult(status: OcspErrorStatus): OcspResult {
    this.m.error(status).inc();
    return errorResult(status);
  }

  /**
   * Answers a request seen before straight from the pre-signed cache (no parsing), or undefined.
   * `requestKey` is postKey(body) or getKey(path) from request-memo.ts.
   */
  lookup(requestKey: string): OcspResult | undefined {
    const memo = this.memo.get(requestKey);
    if (memo === undefined) return undefined;
    const e = this.cache.get(memo.key);
    const now = Date.now();
    if (e === undefined || e.signed === null || now >= e.expiresMs) return undefined;
    this.m.hit.inc();
    if (now >= e.refreshMs) this.refresh(e, memo.key, memo.issuer, memo.id);
    this.m.kind[e.kind].inc();
    return cachedResult(e, e.signed, now);
  }

  async respond(requestDer: Buffer, opts: RespondOptions = {}): Promise<OcspResult> {
    let requestKey = opts.requestKey ?? (Buffer.isBuffer(requestDer) ? postKey(requestDer) : undefined);
    const known = requestKey === undefined ? undefined : this.lookup(requestKey);
    if (known) return known;
    let issuer: LoadedIssuer | undefined;
    let certIds: OcspCertId[];
    let nonce: Buffer | null;
    try {
      const req = parseOcspRequest(requestDer, this.parseOpts);
      certIds = req.certIds;
      nonce = opts.nonceAllowed === false ? null : req.nonceExtnValue;
      for (const id of certIds) {
        const m = this.index.match(id) ?? (await this.index.matchAfterRefresh(id));
        if (!m || (issuer && m !== issuer)) return this.errorResult('unauthorized');
        issuer = m;
      }
      if (req.nonce !== null) requestKey = undefined; // unique bytes: never worth remembering
    } catch (e) {
      return this.fail(e);
    }
    try {
      const iss = issuer as LoadedIssuer;
      if (nonce === null && certIds.length === 1)
        return await this.presigned(iss, certIds[0] as OcspCertId, requestKey);
      return await this.live(iss, certIds, nonce);
    } catch (e) {
      return this.fail(e);
    }
  }

  private async presigned(issuer: LoadedIssuer, id: OcspCertId, requestKey: string | undefined): Promise<OcspResult> {
    const key = id.serial === null ? negativeKey(issuer.record.id, id) : variantKey(issuer.record.id, id.serial, id.hashAlg, id.paramsAbsent);
    if (key === undefined) return this.live(issuer, [id], null);
    const now = Date.now();
    let e = this.cache.get(key);
    if (e !== undefined && now < e.expiresMs && e.signed !== null) {
      this.m.hit.inc();
      if (now >= e.refreshMs) this.refresh(e, key, issuer, id);
    } else {
      if (e === undefined || now >= e.expiresMs) e = await this.load(key, issuer, id);
      else this.m.hit.inc();
      if (e.signed === null) await this.sign(e, issuer);
    }
    this.m.kind[e.kind].inc();
    if (requestKey !== undefined && e.kind !== 'unknown') this.memo.remember(requestKey, key, issuer, id);
    return cachedResult(e, e.signed as SignedForm, Date.now());
  }

  private async live(issuer: LoadedIssuer, ids: OcspCertId[], nonce: Buffer | null): Promise<OcspResult> {
    const entries: CachedResponse[] = [];
    const now = Date.now();
    for (const id of ids) {
      if (id.serial === null) {
        entries.push(this.cache.build(id, UNKNOWN, now));
        continue;
      }
      const key = variantKey(issuer.record.id, id.serial, id.hashAlg, id.paramsAbsent);
      const e = this.cache.get(key);
      if (e !== undefined && now < e.expiresMs) this.m.hit.inc();
      entries.push(e !== undefined && now < e.expiresMs ? e : await this.load(key, issuer, id));
    }
    const ident = this.certs.current(issuer.record.id) ?? (await this.certs.get(issuer.record.id));
    const producedAt = new Date();
    const der = await signedResponseAsync(ident.template, entries.map((e) => e.single), producedAt, nonce);
    this.m.signLive.inc();
    for (const e of entries) this.m.kind[e.kind].inc();
    return liveResult(der, producedAt, entries[0] as CachedResponse);
  }

  /** A fresh entry: one status read per key at a time, cached unless invalidated meanwhile. */
  private load(key: string, issuer: LoadedIssuer, id: OcspCertId): Promise<CachedResponse> {
    return this.cache.load(key, id, () => {
      this.m.miss.inc();
      const read = id.serial === null ? Promise.resolve(UNKNOWN) : readStatus(this.opts.ca, issuer.record.id, id.serial, this.opts.statusTimeoutMs ?? 5_000);
      return read.finally(() => setImmediate(() => this.m.entries.set(this.cache.size)));
    });
  }

  private async sign(e: CachedResponse, issuer: LoadedIssuer): Promise<void> {
    const ident = this.certs.current(issuer.record.id) ?? (await this.certs.get(issuer.record.id));
    if (e.signed !== null) return; // another request signed it meanwhile
    const producedAt = new Date();
    const der = signedResponse(ident.template, [e.single], producedAt, null);
    this.m.signCached.inc();
    e.signed = signedForm(e, der, producedAt);
  }

  /** Re-reads and re-signs in the background; the current entry is served meanwhile. */
  private refresh(e: CachedResponse, key: string, issuer: LoadedIssuer, id: OcspCertId): void {
    e.refreshMs = Date.now() + 5_000; // one attempt at a time, retried every 5 s on failure
    this.m.refresh.inc();
    void this.load(key, issuer, id)
      .then((fresh) => this.sign(fresh, issuer))
      .catch((err: unknown) => this.warn(err, 'OCSP background refresh failed'));
  }

  private fail(e: unknown): OcspResult {
    const status = ocspStatusOf(e);
    if (status === 'tryLater' || status === 'internalError') this.warn(e, `OCSP answered ${status}`);
    return this.errorResult(status);
  }

}

const UNKNOWN: SingleStatus = { kind: 'unknown' };
