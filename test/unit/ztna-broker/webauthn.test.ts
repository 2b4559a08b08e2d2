/**
 * WebAuthn registration and sign-in (@simplewebauthn/server) against a software authenticator:
 * the happy path, and what must be refused — another origin (a console host), another RP ID,
 * a stale challenge, a replayed signature counter (clone), another user's credential, missing
 * user verification when required.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAppError } from '../../../platform/errors.ts';
import { WebauthnService } from '../../../ztna-broker/authn/webauthn.ts';
import { brokerDb, type BrokerDb } from './fixtures.ts';
import { SoftAuthenticator } from './soft-authenticator.ts';

const RP = 'broker.gatehouse.test';
const ORIGIN = 'https://broker.gatehouse.test:8444';
const alice = { sub: 'alice', email: 'alice@example.com' };
const isWebauthn = (e: unknown) => isAppError(e, 'ERR_WEBAUTHN');

describe('WebAuthn', () => {
  let b: BrokerDb;
  let w: WebauthnService;
  let key: SoftAuthenticator;
  beforeEach(async () => {
    b = await brokerDb();
    w = new WebauthnService(b.t.db, { rpName: 'Gatehouse', rpID: RP, origin: ORIGIN, userVerification: 'preferred' }, b.now);
    key = new SoftAuthenticator(RP, ORIGIN);
  });
  afterEach(() => b.cleanup());

  async function registered(): Promise<void> {
    const opts = await w.registrationOptions(alice);
    assert.equal(opts.rp.id, RP);
    assert.equal(opts.attestation, 'none');
    await w.verifyRegistration(alice, key.register(opts.challenge), opts.challenge);
  }

  it('registers, then signs in; the counter moves forward', async () => {
    await registered();
    assert.equal(await w.count(alice), 1);
    const opts = await w.authenticationOptions(alice);
    assert.deepEqual(opts.allowCredentials?.map((c) => c.id), [key.credId.toString('base64url')]);
    await w.verifyAuthentication(alice, key.assert(opts.challenge), opts.challenge);
    const again = await w.authenticationOptions(alice);
    await w.verifyAuthentication(alice, key.assert(again.challenge), again.challenge);
    const reg = await w.registrationOptions(alice);
    assert.deepEqual(reg.excludeCredentials?.map((c) => c.id), [key.credId.toString('base64url')], 'no double registration');
  });

  it('refuses registration from another origin, RP ID or challenge', async () => {
    const opts = await w.registrationOptions(alice);
    await assert.rejects(w.verifyRegistration(alice, key.register(opts.challenge, { origin: 'https://cam.gatehouse.test:8444' }), opts.challenge), isWebauthn);
    await assert.rejects(w.verifyRegistration(alice, key.register(opts.challenge, { rpId: 'cam.gatehouse.test' }), opts.challenge), isWebauthn);
    await assert.rejects(w.verifyRegistration(alice, key.register('c3RhbGUtY2hhbGxlbmdl'), opts.challenge), isWebauthn);
    await assert.rejects(w.verifyRegistration(alice, { garbage: true }, opts.challenge), isWebauthn);
    assert.equal(await w.count(alice), 0);
  });

  it('refuses assertions: other origin, stale challenge, replayed counter, wrong type', async () => {
    await registered();
    const o = await w.authenticationOptions(alice);
    await assert.rejects(w.verifyAuthentication(alice, key.assert(o.challenge, { origin: 'https://evil.example' }), o.challenge), isWebauthn);
    await assert.rejects(w.verifyAuthentication(alice, key.assert('c3RhbGU'), o.challenge), isWebauthn);
    await assert.rejects(w.verifyAuthentication(alice, key.assert(o.challenge, { type: 'webauthn.create' }), o.challenge), isWebauthn);
    await w.verifyAuthentication(alice, key.assert(o.challenge, { counter: 10 }), o.challenge);
    await assert.rejects(w.verifyAuthentication(alice, key.assert(o.challenge, { counter: 10 }), o.challenge), isWebauthn, 'same counter again: clone');
    await assert.rejects(w.verifyAuthentication(alice, key.assert(o.challenge, { counter: 3 }), o.challenge), isWebauthn);
  });

  it("refuses another user's credential and missing user verification when required", async () => {
    await registered();
    const bob = { sub: 'bob', email: 'bob@example.com' };
    await assert.rejects(w.authenticationOptions(bob), isWebauthn);
    const o = await w.authenticationOptions(alice);
    await assert.rejects(w.verifyAuthentication(bob, key.assert(o.challenge), o.challenge), isWebauthn);
    const strict = new WebauthnService(b.t.db, { rpName: 'Gatehouse', rpID: RP, origin: ORIGIN, userVerification: 'required' }, b.now);
    const o2 = await strict.authenticationOptions(alice);
    await assert.rejects(strict.verifyAuthentication(alice, key.assert(o2.challenge, { userVerified: false }), o2.challenge), isWebauthn);
    await strict.verifyAuthentication(alice, key.assert(o2.challenge), o2.challenge);
  });
});
