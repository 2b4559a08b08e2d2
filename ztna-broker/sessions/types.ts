/**
 * Session vocabulary shared by the session service, the login flow and the proxy.
 *
 * Rules enforced by the shapes:
 * - A session names exactly one user and one client certificate (fingerprint + issuer + serial);
 *   it never changes either for its life.
 * - `stage` is 'mfa' until a second factor (or trusted IdP MFA) completed; only 'active'
 *   sessions reach consoles. `mfa.at` is epoch SECONDS (OIDC auth_time semantics).
 * - Other times are epoch MILLISECONDS.
 */
export interface SessionUser {
  readonly sub: string;
  readonly email: string;
  readonly groups: readonly string[];
}

export interface SessionCert {
  readonly fingerprint: string;
  readonly issuerId: string;
  readonly serial: string;
}

export interface SessionMfa {
  readonly method: 'totp' | 'webauthn' | 'idp';
  readonly at: number;
}

/** Short-lived state of an unfinished broker-page step (WebAuthn challenge, failures). */
export interface SessionPending {
  challenge?: string;
  challengeKind?: 'register' | 'authenticate';
  challengeExpires?: number;
  failures?: number;
  returnTo?: string;
}

export interface SessionRecord {
  readonly id: string;
  readonly user: SessionUser;
  readonly idpAmr: readonly string[];
  readonly cert: SessionCert;
  readonly stage: 'mfa' | 'active';
  readonly mfa: SessionMfa | null;
  readonly csrf: string;
  readonly pending: SessionPending | null;
  readonly createdAt: number;
  lastSeenAt: number;
  readonly expiresAt: number;
}

export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
  readonly certFingerprint: string;
  readonly purpose: 'login' | 'stepup';
  readonly expiresAt: number;
}

export interface Handoff {
  readonly sessionId: string;
  readonly host: string;
  readonly returnPath: string;
  readonly certFingerprint: string;
  readonly expiresAt: number;
}
