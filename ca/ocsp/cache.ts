/**
 * Pre-signed OCSP responses, bounded LRU (RFC 5019 §2.2 / §6: responses may be pre-produced and
 * served to every client asking without a nonce).
 *
 * Rules:
 * - Key = issuerId + serial + CertID variant (hash algorithm, NULL or absent parameters): once
 *   the issuer matched, those fix the echoed CertID bytes, so one entry answers exactly one form.
 * - An entry holds the SingleResponse (reused by live nonce responses) and, once a nonce-less
 *   request asked for it, the whole signed response with its HTTP header values.
 * - Invalidation by (issuerId, serial) drops every variant at once (cert.revoked, cert.issued);
 *   clear() drops all (bus.resync: events may have been missed).
 * - A status read in flight when its certificate is invalidated is not cached (it may predate
 *   the revocation); concurrent misses on one key share one read.
 * - thisUpdate = the second the status was read; nextUpdate = thisUpdate + validity; a background
 *   re-sign is due `refreshBeforeMs` before nextUpdate (RFC 5019 §2.2.4 times in whole seconds).
 * - At most maxEntries; the least recently used entry goes first (Map insertion order, an entry
 *   is moved to the back when used).
 */
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

export interface CacheOptions {
  maxEntries: number;
  validityMs: number;
  refreshBeforeMs: number;
}

const normSerial = (s: string): string => s.toLowerCase().replace(/^0+(?=.)/, '');

export class ResponseCache {
  private readonly map = new Map<string, CachedResponse>();
  private readonly loading = new Map<string, Loading>();
  constructor(private readonly opts: CacheOptions) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): CachedResponse | undefined {
    const e = this.map.get(key);
    if (e !== undefined) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e;
  }

  /** Without touching the LRU order. */
  peek(key: string): CachedResponse | undefined {
    return this.map.get(key);
  }

  set(key: string, e: CachedResponse): void {
    this.map.delete(key);
    this.map.set(key, e);
    if (this.map.size > this.opts.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Drops every CertID variant of one certificate, and keeps reads in flight from caching. */
  invalidate(issuerId: string, serial: string): void {
    const prefix = issuerId + '\u0000' + normSerial(String(serial)) + '\u0000';
    for (const v of VARIANTS) {
      this.map.delete(prefix + v);
      const l = this.loading.get(prefix + v);
      if (l) {
        l.invalidated = true;
        this.loading.delete(prefix + v);
      }
    }
  }

  clear(): void {
    this.map.clear();
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
    const { validityMs, refreshBeforeMs } = this.opts;
    const thisUpdate = new Date(t);
    const nextUpdate = new Date(t + validityMs);
    return {
      kind: status.kind,
      single: singleResponse(id.der, status, thisUpdate, nextUpdate),
      thisUpdate,
      nextUpdate,
      expiresMs: t + validityMs,
      refreshMs: t + validityMs - refreshBeforeMs,
      signed: null,
    };
  }
}
