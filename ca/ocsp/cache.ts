/**
 * Pre-signed OCSP responses, bounded LRU (RFC 5019 §2.2 / §6: responses may be pre-produced and
 * served to every client asking without a nonce).
 *
 * Rules:
 * - Key = issuerId + serial + CertID variant (hash algorithm, NULL or absent parameters): once
 *   the issuer matched, those fix the echoed CertID bytes, so one entry answers exactly one form.
 *   A negative serial (never ours) is keyed by its CertID bytes, only when those are short.
 * - An entry holds the SingleResponse (reused by live nonce responses) and, once a nonce-less
 *   request asked for it, the whole signed response with its HTTP header values.
 * - `unknown` answers live apart, in a smaller LRU, with a short validity (unknownValidityMs,
 *   thisUpdate..nextUpdate of the response too) and no background refresh: a certificate issued
 *   on another node (cert.issued is a local event) answers good within that time, and a flood of
 *   random serials never evicts the answers for real certificates.
 * - Invalidation by (issuerId, serial) drops every variant at once (cert.revoked, cert.issued);
 *   clear() drops all (bus.resync: events may have been missed). Serials are compared in
 *   canonical form (ca/serial.ts).
 * - A status read in flight when its certificate is invalidated is not cached (it may predate
 *   the revocation); concurrent misses on one key share one read.
 * - thisUpdate = the second the status was read; nextUpdate = thisUpdate + validity; a background
 *   re-sign is due `refreshBeforeMs` before nextUpdate (RFC 5019 §2.2.4 times in whole seconds).
 * - At most maxEntries known and maxUnknownEntries unknown answers; the least recently used goes
 *   first (Map insertion order, an entry is moved to the back when used).
 */
import { normalizeSerial } from '../serial.ts';
import type { CertIdHash, OcspCertId } from './request.ts';
import { singleResponse, type SingleStatus } from './response.ts';

export interface CachedResponse {
  kind: 'good' | 'revoked' | 'unknown';
  single: Buffer;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Epoch ms of nextUpdate (served until then). */
  expiresMs: number;
  /** Epoch ms from which a background re-sign is started. */
  refreshMs: number;
  /** Pre-signed OCSPResponse without nonce (null until a nonce-less request needed it). */
  signed: SignedForm | null;
}

export interface SignedForm {
  der: Buffer;
  producedAt: Date;
  /** Values for RFC 5019 §6 headers, computed once. */
  etag: string;
  lastModified: string;
  expires: string;
  contentLength: string;
}

const VARIANTS = ['sha1 ', 'sha1-', 'sha256 ', 'sha256-'];

export function variantKey(issuerId: string, serial: string, hashAlg: CertIdHash, paramsAbsent: boolean): string {
  return issuerId + '\u0000' + serial + '\u0000' + hashAlg + (paramsAbsent ? '-' : ' ');
}

interface Loading {
  promise: Promise<CachedResponse>;
  invalidated: boolean;
}

/** Key of a negative-serial CertID (its DER, hex), or undefined when too long to keep. */
export function negativeKey(issuerId: string, id: OcspCertId): string | undefined {
  return id.der.length <= MAX_NEGATIVE_CERTID_BYTES ? issuerId + '\u0000-' + id.der.toString('hex') : undefined;
}
const MAX_NEGATIVE_CERTID_BYTES = 128;

export interface CacheOptions {
  maxEntries: number;
  validityMs: number;
  refreshBeforeMs: number;
  /** Validity of an `unknown` answer (default 60 s). */
  unknownValidityMs?: number;
  /** Most `unknown` answers kept (default min(maxEntries, 10 000)). */
  maxUnknownEntries?: number;
}

export class ResponseCache {
  private readonly map = new Map<string, CachedResponse>();
  private readonly unknowns = new Map<string, CachedResponse>();
  private readonly loading = new Map<string, Loading>();
  private readonly unknownValidityMs: number;
  private readonly maxUnknown: number;
  constructor(private readonly opts: CacheOptions) {
    this.unknownValidityMs = Math.min(opts.unknownValidityMs ?? 60_000, opts.validityMs);
    this.maxUnknown = opts.maxUnknownEntries ?? Math.min(opts.maxEntries, 10_000);
  }

  /** Cached answers for known certificates (good or revoked). */
  get size(): number {
    return this.map.size;
  }

  get unknownSize(): number {
    return this.unknowns.size;
  }

  get(key: string): CachedResponse | undefined {
    const m = this.map.has(key) ? this.map : this.unknowns;
    const e = m.get(key);
    if (e !== undefined) {
      m.delete(key);
      m.set(key, e);
    }
    return e;
  }

  set(key: string, e: CachedResponse): void {
    const [m, other, max] = e.kind === 'unknown' ? [this.unknowns, this.map, this.maxUnknown] : [this.map, this.unknowns, this.opts.maxEntries];
    other.delete(key);
    m.delete(key);
    m.set(key, e);
    if (m.size > max) {
      const oldest = m.keys().next();
      if (!oldest.done) m.delete(oldest.value);
    }
  }

  /** Drops every CertID variant of one certificate, and keeps reads in flight from caching. */
  invalidate(issuerId: string, serial: string): void {
    let canonical: string;
    try {
      canonical = normalizeSerial(String(serial));
    } catch {
      return; // nothing is cached under a serial that is not one
    }
    const prefix = issuerId + '\u0000' + canonical + '\u0000';
    for (const v of VARIANTS) {
      this.map.delete(prefix + v);
      this.unknowns.delete(prefix + v);
      const l = this.loading.get(prefix + v);
      if (l) {
        l.invalidated = true;
        this.loading.delete(prefix + v);
      }
    }
  }

  clear(): void {
    this.map.clear();
    this.unknowns.clear();
    for (const l of this.loading.values()) l.invalidated = true;
    this.loading.clear();
  }

  /** A fresh entry for `key` from `read()`; concurrent callers share the read. */
  load(key: string, id: OcspCertId, read: () => Promise<SingleStatus>): Promise<CachedResponse> {
    const running = this.loading.get(key);
    if (running) return running.promise;
    const l: Loading = { promise: null as unknown as Promise<CachedResponse>, invalidated: false };
    const done = (): void => {
      if (this.loading.get(key) === l) this.loading.delete(key);
    };
    l.promise = read().then(
      (status) => {
        done();
        const e = this.build(id, status, Date.now());
        if (!l.invalidated) this.set(key, e);
        return e;
      },
      (err: unknown) => {
        done();
        throw err;
      },
    );
    this.loading.set(key, l);
    return l.promise;
  }

  /** An entry (not stored) whose SingleResponse echoes `id` with `status` as of now. */
  build(id: OcspCertId, status: SingleStatus, nowMs: number): CachedResponse {
    const t = Math.floor(nowMs / 1000) * 1000;
    const unknown = status.kind === 'unknown';
    const validityMs = unknown ? this.unknownValidityMs : this.opts.validityMs;
    const thisUpdate = new Date(t);
    const nextUpdate = new Date(t + validityMs);
    return {
      kind: status.kind,
      single: singleResponse(id.der, status, thisUpdate, nextUpdate),
      thisUpdate,
      nextUpdate,
      expiresMs: t + validityMs,
      // an unknown answer is read again when it expires, never refreshed ahead
      refreshMs: unknown ? t + validityMs : t + validityMs - this.opts.refreshBeforeMs,
      signed: null,
    };
  }
}
