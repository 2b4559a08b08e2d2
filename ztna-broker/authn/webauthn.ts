/**
 * WebAuthn second factor (W3C WebAuthn Level 2) with @simplewebauthn/server.
 *
 * Rules enforced:
 * - The RP ID is the broker host and the only accepted origin is the broker's public origin
 *   (§7.1 step 9, §7.2 step 13): a console host cannot run a ceremony for the broker.
 * - Challenges are random (the library's 32 bytes), single use and short lived; the caller keeps
 *   them server-side in the session and clears them whatever the outcome.
 * - Attestation 'none' (enterprise attestation is not needed to bind a factor to an SSO user);
 *   user presence always required, user verification as configured.
 * - Credentials already registered are excluded on registration; authentication allows only the
 *   user's own credentials, and a credential id that is not the user's is refused.
 * - The signature counter must grow (or stay 0 on counter-less authenticators); otherwise the
 *   assertion is refused as a possible clone (§6.1.1).
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { createHash } from 'node:crypto';
import type { Db } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { authnStore } from './store.ts';

export interface WebauthnOptions {
  rpName: string;
  rpID: string;
  origin: string;
  userVerification: 'required' | 'preferred' | 'discouraged';
}

type User = { sub: string; email: string };

function fail(message: string, cause?: unknown): AppError {
  return new AppError('ERR_WEBAUTHN', message, cause === undefined ? {} : { cause });
}

export class WebauthnService {
  constructor(
    private readonly db: Db,
    private readonly opts: WebauthnOptions,
    private readonly now: () => number,
  ) {}

  async count(user: User): Promise<number> {
    return (await authnStore.credentials(this.db, user.sub)).length;
  }

  async registrationOptions(user: User) {
    const existing = await authnStore.credentials(this.db, user.sub);
    return generateRegistrationOptions({
      rpName: this.opts.rpName,
      rpID: this.opts.rpID,
      userName: user.email,
      userDisplayName: user.email,
      userID: createHash('sha256').update(`gatehouse-user:${user.sub}`).digest().subarray(0, 32),
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'discouraged', userVerification: this.opts.userVerification },
      timeout: 120_000,
    });
  }

  async verifyRegistration(user: User, response: unknown, expectedChallenge: string): Promise<string> {
    let result;
    try {
      result = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.opts.origin,
        expectedRPID: this.opts.rpID,
        requireUserPresence: true,
        requireUserVerification: this.opts.userVerification === 'required',
      });
    } catch (e) {
      throw fail('registration could not be verified', e);
    }
    if (!result.verified) throw fail('registration could not be verified');
    const c = result.registrationInfo.credential;
    await authnStore.addCredential(
      this.db,
      { id: c.id, userSub: user.sub, publicKey: Buffer.from(c.publicKey).toString('base64url'), counter: c.counter, transports: c.transports ?? [] },
      this.now(),
    );
    return c.id;
  }

  async authenticationOptions(user: User) {
    const creds = await authnStore.credentials(this.db, user.sub);
    if (creds.length === 0) throw fail('no security key registered');
    return generateAuthenticationOptions({
      rpID: this.opts.rpID,
      allowCredentials: creds.map((c) => ({ id: c.id, transports: c.transports as AuthenticatorTransportFuture[] })),
      userVerification: this.opts.userVerification,
      timeout: 120_000,
    });
  }

  async verifyAuthentication(user: User, response: unknown, expectedChallenge: string): Promise<void> {
    const id = (response as { id?: unknown } | null)?.id;
    const cred = typeof id === 'string' ? (await authnStore.credentials(this.db, user.sub)).find((c) => c.id === id) : undefined;
    if (cred === undefined) throw fail('unknown security key');
    let result;
    try {
      result = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.opts.origin,
        expectedRPID: this.opts.rpID,
        credential: {
          id: cred.id,
          publicKey: new Uint8Array(Buffer.from(cred.publicKey, 'base64url')),
          counter: cred.counter,
          transports: cred.transports as AuthenticatorTransportFuture[],
        },
        requireUserVerification: this.opts.userVerification === 'required',
      });
    } catch (e) {
      throw fail('assertion could not be verified', e);
    }
    if (!result.verified) throw fail('assertion could not be verified');
    if (!(await authnStore.useCredential(this.db, cred.id, result.authenticationInfo.newCounter, this.now()))) {
      throw fail('signature counter did not increase (possible cloned authenticator)');
    }
  }
}
