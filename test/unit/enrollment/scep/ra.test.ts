/**
 * The SCEP RA identity (enrollment/scep/ra.ts): RSA key made once and stored encrypted, the
 * certificate from our CA with profile scep-ra (keyEncipherment, RFC 8894 §3.1), reuse across
 * restarts, renewal 30 days before expiry with the previous certificate still accepted, and
 * re-issuance after an issuer rollover.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../../platform/log.ts';
import { createScepHandlers, openScepRa, ScepTransactions, RA_SUBJECT_CN } from '../../../../enrollment/scep/index.ts';
import { createScepEnv, type ScepEnv } from './env.ts';
import { csrOf, pkiMessage, readReply, selfSigned } from './requester.ts';

let env: ScepEnv;
before(async () => {
  env = await createScepEnv();
});
after(() => env.cleanup());

const DAY = 86_400_000;
const raCount = async (): Promise<number> => (await env.pki.ca.listCerts({ profile: 'scep-ra' })).length;

describe('ScepRaIdentity', () => {
  it('creates an encrypted RSA key and an scep-ra certificate issued by the active (EC) issuer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-ra-'));
    const ra = await openScepRa({ dir, passphrase: env.pki.passphrase, ca: env.pki.ca });
    const keyFile = join(dir, 'scep-ra.key');
    assert.match(readFileSync(keyFile, 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const x = new X509Certificate(ra.current().certDer);
    assert.equal(x.subject, `CN=${RA_SUBJECT_CN}`);
    assert.equal(x.publicKey.asymmetricKeyType, 'rsa');
    assert.equal(ra.current().key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.ok(x.checkIssued(new X509Certificate(env.pki.issuer.record.certDer)));
    assert.equal(new X509Certificate(env.pki.issuer.record.certDer).publicKey.asymmetricKeyType, 'ec');
    assert.equal(new X509Certificate(readFileSync(join(dir, 'scep-ra.crt'))).raw.equals(x.raw), true);
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'keyUsage'], { input: x.toString(), encoding: 'utf8' });
    assert.match(text, /Digital Signature, Key Encipherment/); // openssl as the independent reader
  });

  it('reuses key and certificate on restart; a wrong passphrase fails closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-ra-'));
    const a = await openScepRa({ dir, passphrase: env.pki.passphrase, ca: env.pki.ca, keyAlgorithm: 'RSA-3072' });
    const before = await raCount();
    const b = await openScepRa({ dir, passphrase: env.pki.passphrase, ca: env.pki.ca });
    assert.deepEqual(b.current().certDer, a.current().certDer);
    assert.equal(b.current().key.asymmetricKeyDetails?.modulusLength, 3072);
    assert.equal(await raCount(), before);
    await assert.rejects(openScepRa({ dir, passphrase: 'wrong-passphrase', ca: env.pki.ca }), { code: 'ERR_KEY_LOCKED' });
  });

  it('renews within 30 days of expiry (same key), and still opens requests enveloped to the previous certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-ra-'));
    let now = new Date();
    const ra = await openScepRa({ dir, passphrase: env.pki.passphrase, ca: env.pki.ca, now: () => now });
    const old = ra.current();
    assert.equal(await ra.renewIfDue(), false);
    now = new Date(new Date(new X509Certificate(old.certDer).validTo).getTime() - 10 * DAY);
    assert.equal(await ra.renewIfDue(), true);
    assert.notDeepEqual(ra.current().certDer, old.certDer);
    assert.deepEqual(ra.previous()?.certDer, old.certDer);
    assert.equal(ra.current().key, old.key);

    const handlers = createScepHandlers({
      onboarding: { enroll: async () => ({ kind: 'pending', requestId: 'r-1', retryAfter: 60 }) },
      ca: env.pki.ca,
      ra,
      transactions: new ScepTransactions(env.t.db),
      config: { allowDesCbc: false },
      log: silentLogger(),
    });
    const dev = selfSigned();
    const txid = `rollover-${randomBytes(4).toString('hex')}`;
    const der = await pkiMessage({ raDer: old.certDer, content: csrOf(dev), type: 19, txid, by: dev });
    const r = await handlers.pkiOperation(der, { label: undefined, peer: 't' });
    const reply = await readReply(r.body, dev, old.certDer); // answered (and signed) by the RA it was sent to
    assert.equal(reply.status, 'PENDING');
  });

  it('current() starts a background renewal when due and keeps serving meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-ra-'));
    let now = new Date();
    const ra = await openScepRa({ dir, passphrase: env.pki.passphrase, ca: env.pki.ca, now: () => now });
    const old = ra.current().certDer;
    now = new Date(new Date(new X509Certificate(old).validTo).getTime() - DAY);
    assert.deepEqual(ra.current().certDer, old);
    for (let i = 0; i < 100 && ra.current().certDer === old; i++) await new Promise((r) => setTimeout(r, 20));
    assert.notDeepEqual(ra.current().certDer, old);
  });

  it('after an issuer rollover the RA certificate is re-issued by the new active issuer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-ra-'));
    const a = await openScepRa({ dir, passphrase: env.pki.passphrase, ca: env.pki.ca });
    const next = await env.pki.addIssuer();
    const b = await openScepRa({ dir, passphrase: env.pki.passphrase, ca: env.pki.ca });
    assert.notDeepEqual(b.current().certDer, a.current().certDer);
    assert.ok(new X509Certificate(b.current().certDer).checkIssued(new X509Certificate(next.record.certDer)));
  });
});
