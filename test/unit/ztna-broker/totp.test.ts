/**
 * TOTP (RFC 6238) with the replay guard, on the real database; and the secret box that seals
 * TOTP secrets (AES-256-GCM, owner-bound).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import fc from 'fast-check';
import * as OTPAuth from 'otpauth';
import { isAppError } from '../../../platform/errors.ts';
import { SecretBox } from '../../../ztna-broker/authn/secret-box.ts';
import { TotpService } from '../../../ztna-broker/authn/totp.ts';
import { brokerDb, type BrokerDb } from './fixtures.ts';

const user = { sub: 'u-1', email: 'alice@example.com' };
const code = (secret: string, at: number) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: at });

describe('TOTP', () => {
  let b: BrokerDb;
  let totp: TotpService;
  beforeEach(async () => {
    b = await brokerDb(Date.parse('2025-06-02T09:00:05Z'));
    totp = new TotpService(b.t.db, new SecretBox('unit-test-key-0123456789'), { issuer: 'Gatehouse', digits: 6, periodSeconds: 30, window: 1 }, b.now);
  });
  afterEach(() => b.cleanup());

  it('enrols, shows the pending secret again, confirms with the first code, then refuses re-enrolment', async () => {
    assert.equal(await totp.status(user.sub), 'none');
    const e = await totp.beginEnrolment(user);
    assert.match(e.uri, /^otpauth:\/\/totp\/Gatehouse:alice%40example\.com\?/);
    assert.equal((await totp.pendingEnrolment(user))?.secretBase32, e.secretBase32);
    assert.equal(await totp.status(user.sub), 'pending');
    await totp.verify(user, code(e.secretBase32, b.now()));
    assert.equal(await totp.status(user.sub), 'confirmed');
    assert.equal(await totp.pendingEnrolment(user), null, 'a confirmed secret is never shown again');
    await assert.rejects(totp.beginEnrolment(user), (e: unknown) => isAppError(e, 'ERR_CONFLICT'));
    const row = (await b.t.db('broker_totp').first()) as { secret_enc: string };
    assert.ok(!row.secret_enc.includes(e.secretBase32), 'stored sealed');
  });

  it('replay guard: the same code, or an older one, is refused even inside its window', async () => {
    const { secretBase32: s } = await totp.beginEnrolment(user);
    const c = code(s, b.now());
    await totp.verify(user, c);
    await assert.rejects(totp.verify(user, c), (e: unknown) => isAppError(e, 'ERR_TOTP_REPLAY'));
    b.clock.now += 30_000;
    await assert.rejects(totp.verify(user, c), (e: unknown) => isAppError(e, 'ERR_TOTP_REPLAY'), 'previous step still in the window, but used');
    await totp.verify(user, code(s, b.now()));
    const concurrent = code(s, b.now() + 30_000);
    b.clock.now += 30_000;
    const results = await Promise.allSettled([totp.verify(user, concurrent), totp.verify(user, concurrent)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'two nodes racing: one wins');
  });

  it('window: one step either side is accepted, two are not; wrong and malformed codes are refused', async () => {
    const { secretBase32: s } = await totp.beginEnrolment(user);
    await assert.rejects(totp.verify(user, code(s, b.now() - 60_000)), (e: unknown) => isAppError(e, 'ERR_MFA_INVALID'));
    await totp.verify(user, code(s, b.now() - 30_000));
    await totp.verify(user, code(s, b.now() + 30_000));
    await assert.rejects(totp.verify(user, code(s, b.now() + 90_000)), (e: unknown) => isAppError(e, 'ERR_MFA_INVALID'));
    for (const bad of ['', '12345', '1234567', '12 456', '١٢٣٤٥٦', 123456, null, '123456\n']) {
      await assert.rejects(totp.verify(user, bad), (e: unknown) => isAppError(e, 'ERR_MFA_INVALID'), String(bad));
    }
    await assert.rejects(totp.verify({ sub: 'nobody', email: 'x@y' }, '123456'), (e: unknown) => isAppError(e, 'ERR_MFA_INVALID'));
  });
});

describe('secret box', () => {
  const box = new SecretBox('unit-test-key-0123456789');
  it('round-trips and binds the owner', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'u-1');
    assert.equal(box.open(sealed, 'u-1'), 'JBSWY3DPEHPK3PXP');
    assert.notEqual(box.seal('JBSWY3DPEHPK3PXP', 'u-1'), sealed, 'fresh IV');
    assert.throws(() => box.open(sealed, 'u-2'), (e) => isAppError(e, 'ERR_MFA_INVALID'));
    assert.throws(() => new SecretBox('unit-test-key-9876543210').open(sealed, 'u-1'), (e) => isAppError(e, 'ERR_MFA_INVALID'));
    assert.throws(() => new SecretBox('short'), (e) => isAppError(e, 'ERR_CONFIG'));
  });
  it('refuses tampered and garbage input with ERR_MFA_INVALID only', () => {
    const sealed = box.seal('secret', 'u-1');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.nat(sealed.length - 4).map((i) => sealed.slice(0, 3 + i) + (sealed[3 + i] === 'A' ? 'B' : 'A') + sealed.slice(4 + i))), (s) => {
        try {
          box.open(s, 'u-1');
        } catch (e) {
          assert.ok(isAppError(e, 'ERR_MFA_INVALID'));
        }
      }),
    );
  });
});
