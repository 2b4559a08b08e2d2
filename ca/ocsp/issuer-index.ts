/**
 * Finds the issuer a CertID names (RFC 6960 §4.1.1) — by issuerNameHash AND issuerKeyHash, never
 * by the serial alone (two issuers may share a serial, PITFALLS.md).
 *
 * Rules:
 * - One Map per hash algorithm (SHA-1, SHA-256) keyed by hex(nameHash) + hex(keyHash); built from
 *   the hashes each LoadedIssuer carries, so a lookup is two short hex strings and a Map get.
 * - The index follows the CA's issuer list: on a miss it is rebuilt if ca.issuers() now holds
 *   other issuers (rollover, reload); a flood of foreign CertIDs costs one array comparison each.
 * - matchAfterRefresh(): after a miss, asks the CA to re-read its issuers from the store (an
 *   issuer registered on another node or by the CLI) — at most once every REFRESH_MIN_MS, so a
 *   flood of foreign CertIDs costs at most one small store read per interval.
 * - No match -> undefined: the responder answers unauthorized (RFC 5019 §2.2.3).
 */
import type { CertificateAuthority, LoadedIssuer } from '../types.ts';
import type { OcspCertId } from './request.ts';

export const REFRESH_MIN_MS = 10_000;

export class IssuerIndex {
  private sha1 = new Map<string, LoadedIssuer>();
  private sha256 = new Map<string, LoadedIssuer>();
  private seen: readonly LoadedIssuer[] | null = null;
  private ref: readonly LoadedIssuer[] | null = null;
  private lastRefresh = -Infinity;

  constructor(private readonly ca: Pick<CertificateAuthority, 'issuers'> & { refreshIssuers?(): Promise<boolean> }) {}

  /** After match() missed: refresh the CA's issuers (rate-limited) and match again. */
  async matchAfterRefresh(id: OcspCertId): Promise<LoadedIssuer | undefined> {
    const now = Date.now();
    if (!this.ca.refreshIssuers || now - this.lastRefresh < REFRESH_MIN_MS) return undefined;
    this.lastRefresh = now;
    try {
      await this.ca.refreshIssuers();
    } catch {
      return undefined; // the store is down: the issuers we have are all we know
    }
    return this.match(id);
  }

  match(id: OcspCertId): LoadedIssuer | undefined {
    if (this.seen === null) this.rebuild();
    const hit = this.lookup(id);
    if (hit) return hit;
    return this.rebuild() ? this.lookup(id) : undefined;
  }

  /** The issuers currently indexed (for warming responders). */
  all(): readonly LoadedIssuer[] {
    if (this.seen === null) this.rebuild();
    return this.seen ?? [];
  }

  private lookup(id: OcspCertId): LoadedIssuer | undefined {
    const map = id.hashAlg === 'sha1' ? this.sha1 : id.hashAlg === 'sha256' ? this.sha256 : undefined;
    return map?.get(id.issuerNameHash.toString('hex') + id.issuerKeyHash.toString('hex'));
  }

  /** Rebuilds when the CA's list changed; returns whether it did. */
  private rebuild(): boolean {
    const list = this.ca.issuers();
    if (list === this.ref) return false;
    this.ref = list;
    if (this.seen && list.length === this.seen.length && list.every((x, i) => x === this.seen![i])) return false;
    const sha1 = new Map<string, LoadedIssuer>();
    const sha256 = new Map<string, LoadedIssuer>();
    for (const iss of list) {
      sha1.set(iss.nameHash.sha1.toString('hex') + iss.keyHash.sha1.toString('hex'), iss);
      sha256.set(iss.nameHash.sha256.toString('hex') + iss.keyHash.sha256.toString('hex'), iss);
    }
    this.sha1 = sha1;
    this.sha256 = sha256;
    this.seen = [...list];
    return true;
  }
}
