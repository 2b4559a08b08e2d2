/**
 * The identity assertion sent to upstream consoles: a short-lived ES256 JWT (RFC 7519, RFC 7515)
 * signed with jose, and the JWKS (RFC 7517) that verifies it.
 *
 * Rules enforced:
 * - The upstream gets identity ONLY from this header; every inbound identity header was stripped
 *   before (policy/headers.ts).
 * - Audience-scoped: `aud` is the route's public origin, so a token captured by one console is
 *   refused by another; `iss` is the broker origin; `exp` = iat + ttl; unique `jti`.
 * - Claims: sub, email, groups, route, sid, amr (the MFA method) and auth_time (the MFA time),
 *   and `cnf` with the client certificate's SHA-256 thumbprint (RFC 8705 §3.1, x5t#S256).
 * - The key is a P-256 KeyObject; its `kid` is the RFC 7638 JWK thumbprint; the JWKS only ever
 *   contains the public part.
 * - Signed tokens are reused per (session, route) for at most half their lifetime.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
import { AppError } from '../../platform/errors.ts';

export interface AssertionInput {
  sessionId: string;
  routeId: string;
  audience: string;
  sub: string;
  email: string;
  groups: readonly string[];
  mfaMethod: string | null;
  mfaAt: number | null;
  certThumbprint: string;
}

export class AssertionSigner {
  private readonly cache = new Map<string, { token: string; renewAt: number }>();

  private constructor(
    private readonly key: KeyObject,
    readonly kid: string,
    private readonly publicJwk: JWK,
    private readonly issuer: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {}

  static async create(opts: { keyPem?: string; issuer: string; ttlSeconds: number; now: () => number }): Promise<AssertionSigner> {
    let key: KeyObject;
    if (opts.keyPem !== undefined) {
      try {
        key = createPrivateKey(opts.keyPem);
      } catch (e) {
        throw new AppError('ERR_CONFIG', 'broker.assertion.keyFile is not a readable private key', { cause: e });
      }
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new AppError('ERR_CONFIG', 'broker.assertion.keyFile must be a P-256 key (ES256)');
      }
    } else {
      key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    }
    const jwk = await exportJWK(createPublicKey(key));
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    return new AssertionSigner(key, kid, { ...jwk, kid, alg: 'ES256', use: 'sig' }, opts.issuer, opts.ttlSeconds, opts.now);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async sign(a: AssertionInput): Promise<string> {
    const now = this.now();
    const cacheKey = `${a.sessionId}\u0000${a.routeId}`;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined && now < hit.renewAt) return hit.token;
    const iat = Math.floor(now / 1000);
    const claims: Record<string, unknown> = {
      email: a.email,
      groups: [...a.groups],
      route: a.routeId,
      sid: a.sessionId,
      cnf: { 'x5t#S256': Buffer.from(a.certThumbprint, 'hex').toString('base64url') },
    };
    if (a.mfaMethod !== null) claims.amr = [a.mfaMethod];
    if (a.mfaAt !== null) claims.auth_time = a.mfaAt;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(a.audience)
      .setSubject(a.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(this.key);
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(cacheKey, { token, renewAt: now + (this.ttlSeconds * 1000) / 2 });
    return token;
  }

  /** Drops a session's cached tokens (logout, kill, step-up). */
  forgetSession(sessionId: string): void {
    for (const k of this.cache.keys()) if (k.startsWith(`${sessionId}\u0000`)) this.cache.delete(k);
  }
}
