/**
 * Request memo: the exact bytes of a nonce-less, single-CertID request (POST body, or GET path)
 * -> the pre-signed cache entry it resolved to, so a repeated request is answered without
 * parsing, base64 decoding or issuer matching (RFC 5019 §2.1.1 clients send identical requests).
 *
 * Rules:
 * - Only requests that resolved to a cacheable pre-signed response are remembered; the mapping
 *   is a pure function of the bytes, so it never needs invalidating — the cache entry it points
 *   to is checked (present, signed, not expired) on every use and revocation drops that entry.
 * - Keys are namespaced by transport ('P' + body as latin1, 'G' + path) so bytes sent one way can
 *   never select the answer meant for the other; requests over MAX_KEY_CHARS are not remembered
 *   (a nonce-less one-CertID request is ~80-120 bytes, ~110-170 base64 characters in a GET), so
 *   the memo holds at most maxEntries x MAX_KEY_CHARS of keys.
 * - `unknown` answers are never remembered (responder.ts): random serials cannot fill the memo.
 * - Remembered CertIDs are copied out of the request buffer (no pinning of socket buffers).
 * - Bounded: past maxEntries the oldest mapping goes.
 */
import type { LoadedIssuer } from '../types.ts';
import type { OcspCertId } from './request.ts';

export const MAX_KEY_CHARS = 256;

export interface Memo {
  key: string;
  issuer: LoadedIssuer;
  id: OcspCertId;
}

export const postKey = (der: Buffer): string | undefined =>
  der.length <= MAX_KEY_CHARS ? 'P' + der.toString('latin1') : undefined;
export const getKey = (path: string): string | undefined => (path.length <= MAX_KEY_CHARS ? 'G' + path : undefined);

export class RequestMemo {
  private readonly map = new Map<string, Memo>();
  constructor(private readonly maxEntries: number) {}

  get(requestKey: string): Memo | undefined {
    return this.map.get(requestKey);
  }

  remember(requestKey: string, key: string, issuer: LoadedIssuer, id: OcspCertId): void {
    if (this.map.has(requestKey)) return;
    const copy: OcspCertId = {
      ...id,
      issuerNameHash: Buffer.from(id.issuerNameHash),
      issuerKeyHash: Buffer.from(id.issuerKeyHash),
      der: Buffer.from(id.der),
    };
    this.map.set(requestKey, { key, issuer, id: copy });
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  clear(): void {
    this.map.clear();
  }
}
