/**
 * OpenID Connect relying party (openid-client 6): authorization code flow with PKCE.
 *
 * Rules enforced:
 * - Discovery from the configured issuer; the discovered `issuer` must equal it (OIDC
 *   Discovery §4.3) and the ID token's `iss` must equal it (OIDC Core §3.1.3.7) — both
 *   checked by openid-client, as is the RFC 9207 `iss` authorization-response parameter when
 *   the IdP advertises it (mix-up defence).
 * - Every login carries a fresh state (CSRF, RFC 6749 §10.12), nonce (OIDC Core §3.1.2.1) and
 *   PKCE S256 verifier (RFC 7636 §4.2); `plain` is never used.
 * - Step-up re-authentication sends max_age=0 + prompt=login and requires an auth_time not
 *   before the step-up started (OIDC Core §3.1.2.1 max_age, §2 auth_time).
 * - Claims: `sub` from the ID token; userinfo (when enabled) must carry the same `sub`
 *   (OIDC Core §5.3.2). email (lower-cased), email_verified, groups, amr, acr, auth_time.
 * - Discovery failures are retried on the next login (the IdP may start after the broker); a
 *   login while the IdP is unreachable is ERR_OIDC (503), never a bypass.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { AppError } from '../../platform/errors.ts';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: readonly string[];
  emailClaim: string;
  groupsClaim: string;
  userinfo: boolean;
  caFile?: string;
  clockToleranceSeconds: number;
  redirectUri: string;
}

export interface OidcClaims {
  sub: string;
  email: string;
  emailVerified: boolean;
  groups: string[];
  amr: string[];
  acr: string | null;
  authTime: number | null;
}

export interface LoginStart {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export class OidcClient {
  private config: client.Configuration | null = null;
  private readonly fetchImpl: client.CustomFetch | undefined;

  constructor(private readonly s: OidcSettings) {
    if (s.caFile !== undefined) {
      const agent = new Agent({ connect: { ca: [...rootCertificates, readFileSync(s.caFile, 'utf8')] } });
      this.fetchImpl = ((url: string, options: Parameters<client.CustomFetch>[1]) =>
        undiciFetch(url, { ...(options as object), dispatcher: agent } as Parameters<typeof undiciFetch>[1])) as unknown as client.CustomFetch;
    }
  }

  private async discovered(): Promise<client.Configuration> {
    if (this.config !== null) return this.config;
    try {
      const auth = this.s.clientSecret !== undefined ? client.ClientSecretBasic(this.s.clientSecret) : client.None();
      const cfg = await client.discovery(new URL(this.s.issuer), this.s.clientId, { redirect_uris: [this.s.redirectUri], response_types: ['code'], [client.clockTolerance]: this.s.clockToleranceSeconds }, auth, {
        ...(this.fetchImpl ? { [client.customFetch]: this.fetchImpl } : {}),
      });
      this.config = cfg;
      return cfg;
    } catch (e) {
      throw new AppError('ERR_OIDC', 'identity provider unavailable', { cause: e, retryAfter: 5 });
    }
  }

  async begin(stepUp: boolean): Promise<LoginStart> {
    const cfg = await this.discovered();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const params: Record<string, string> = {
      redirect_uri: this.s.redirectUri,
      scope: this.s.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (stepUp) Object.assign(params, { prompt: 'login', max_age: '0' });
    return { url: client.buildAuthorizationUrl(cfg, params).href, state, nonce, codeVerifier };
  }

  /** Completes the code flow for the callback URL; every check failure is ERR_OIDC. */
  async finish(callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string; authSince?: number }): Promise<OidcClaims> {
    const cfg = await this.discovered();
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(cfg, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
        ...(checks.authSince !== undefined ? { maxAge: 3600 } : {}),
      });
      const id = tokens.claims();
      if (id === undefined) throw new Error('no ID token');
      claims = { ...id };
      if (this.s.userinfo && tokens.access_token) {
        const info = await client.fetchUserInfo(cfg, tokens.access_token, id.sub);
        claims = { ...info, ...id };
      }
    } catch (e) {
      throw new AppError('ERR_OIDC', 'sign-in response refused', { cause: e });
    }
    const sub = claims.sub;
    const email = claims[this.s.emailClaim];
    if (typeof sub !== 'string' || sub === '') throw new AppError('ERR_OIDC', 'ID token without subject');
    const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : null;
    if (checks.authSince !== undefined && (authTime === null || authTime < checks.authSince - this.s.clockToleranceSeconds)) {
      throw new AppError('ERR_OIDC', 'the identity provider did not re-authenticate');
    }
    return {
      sub,
      email: typeof email === 'string' ? email.toLowerCase() : '',
      emailVerified: claims.email_verified === true,
      groups: strings(claims[this.s.groupsClaim]),
      amr: strings(claims.amr),
      acr: typeof claims.acr === 'string' ? claims.acr : null,
      authTime,
    };
  }
}
