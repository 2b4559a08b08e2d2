/**
 * OcspResponder on the real CaService and database (SQLite, or PostgreSQL with
 * GATEHOUSE_TEST_DB=pg): revocation invalidates the cache at once, holds and releases, store
 * failures answer tryLater, responder certificates are issued through the CA, and (PostgreSQL)
 * a revocation on one node invalidates another node's cache through LISTEN/NOTIFY.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBus } from '../../../../platform/events.ts';
import { silentLogger } from '../../../../platform/log.ts';
import { createMetrics } from '../../../../platform/metrics.ts';
import { OcspResponder } from '../../../../ca/ocsp/index.ts';
import type { LoadedIssuer } from '../../../../ca/types.ts';
import { PG_URL } from '../../../helpers/db.ts';
import { createTestCa, makeCsr, type TestCa } from '../../../helpers/pki.ts';
import { buildRequest, fakeIssuer, idFor, parseResponse, signatureValid } from './helpers.ts';

const config = {
  responseValiditySeconds: 3600,
  refreshBeforeSeconds: 900,
  maxCertIds: 10,
  responderValidityDays: 30,
  responderRenewBeforeDays: 7,
};

async function leaf(pki: TestCa, cn = 'dev-1'): Promise<bigint> {
  const c = await pki.ca.issue(makeCsr().csrDer, { profile: 'device-tls', subject: { commonName: cn }, actor: 'test' });
  return BigInt('0x' + c.serial);
}

describe('OcspResponder with CaService', () => {
  let pki: TestCa;
  let ocsp: OcspResponder;
  const ask = async (issuer: LoadedIssuer, serial: bigint, nonce?: Buffer) =>
    parseResponse((await ocsp.respond(buildRequest({ certIds: [idFor(issuer, serial)], nonce: nonce ?? null }))).der);

  before(async () => {
    pki = await createTestCa();
    ocsp = new OcspResponder({ ca: pki.ca, bus: pki.bus, config, log: silentLogger(), metrics: createMetrics(false) });
    await ocsp.start();
  });
  after(async () => {
    ocsp.stop();
    await pki.cleanup();
  });

  it('issues a delegated responder certificate through the CA (OCSPSigning, nocheck)', async () => {
    const certs = await pki.ca.listCerts({ profile: 'ocsp-responder' });
    assert.equal(certs.length, 1);
    const x = new X509Certificate(certs[0]!.der!);
    assert.match(x.subject, /CN=Gatehouse OCSP Responder /);
    assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.9']);
    const p = await ask(pki.issuer, await leaf(pki));
    assert.deepEqual(p.certs[0], certs[0]!.der);
    assert.ok(signatureValid(p, x.publicKey));
  });

  it('good -> revoke -> revoked at once on the cached (no nonce) path, with the real reason and time', async () => {
    const serial = await leaf(pki);
    assert.equal((await ask(pki.issuer, serial)).singles[0]!.kind, 'good');
    assert.equal((await ask(pki.issuer, serial)).singles[0]!.kind, 'good');
    const r = await pki.ca.revoke(serial.toString(16), 'keyCompromise', { actor: 'test' });
    const s = (await ask(pki.issuer, serial)).singles[0]!;
    assert.equal(s.kind, 'revoked');
    assert.equal(s.reason, 1);
    assert.equal(s.revokedAt!.getTime(), r.revokedAt.getTime());
  });

  it('follows a hold and its release', async () => {
    const serial = await leaf(pki);
    assert.equal((await ask(pki.issuer, serial)).singles[0]!.kind, 'good');
    await pki.ca.revoke(serial.toString(16), 'certificateHold', { actor: 'test' });
    assert.equal((await ask(pki.issuer, serial)).singles[0]!.reason, 6);
    await pki.ca.revoke(serial.toString(16), 'removeFromCRL', { actor: 'test' });
    assert.equal((await ask(pki.issuer, serial)).singles[0]!.kind, 'good');
  });

  it('answers unknown for serials it does not have and unauthorized for other issuers', async () => {
    assert.equal((await ask(pki.issuer, 0x123456789n)).singles[0]!.kind, 'unknown');
    assert.equal((await ask(fakeIssuer('elsewhere'), 1n)).status, 6);
  });

  it('serves a new issuer after rollover with its own responder', async () => {
    const next = await pki.addIssuer();
    const serial = await leaf(pki, 'dev-after-rollover');
    const p = await ask(next, serial, randomBytes(16));
    assert.equal(p.singles[0]!.kind, 'good');
    assert.equal((await ask(pki.issuer, serial)).singles[0]!.kind, 'unknown', 'same serial, other issuer');
    assert.equal((await pki.ca.listCerts({ profile: 'ocsp-responder' })).length, 2);
  });

  it('answers tryLater, never good, when the pool is closed, and recovers', async () => {
    const serial = await leaf(pki);
    await pki.db.destroy();
    try {
      assert.equal((await ask(pki.ca.activeIssuer(), serial)).status, 3);
    } finally {
      pki.db.initialize();
    }
    assert.equal((await ask(pki.ca.activeIssuer(), serial)).singles[0]!.kind, 'good');
  });

  it('answers tryLater when the table is gone (uncached serials), never good', async () => {
    const cached = await leaf(pki);
    const uncached = await leaf(pki, 'dev-uncached');
    assert.equal((await ask(pki.ca.activeIssuer(), cached)).singles[0]!.kind, 'good');
    await pki.db.schema.dropTable('ca_certificates');
    assert.equal((await ask(pki.ca.activeIssuer(), uncached)).status, 3);
    assert.equal((await ask(pki.ca.activeIssuer(), uncached, randomBytes(16))).status, 3);
    assert.equal(
      (await ask(pki.ca.activeIssuer(), cached)).singles[0]!.kind,
      'good',
      'a valid pre-signed response is still served',
    );
  });
});

describe(
  'cross-node cache invalidation (PostgreSQL LISTEN/NOTIFY)',
  { skip: process.env.GATEHOUSE_TEST_DB !== 'pg' && 'PostgreSQL only (GATEHOUSE_TEST_DB=pg)' },
  () => {
    it('a revocation on node 1 drops node 2 cached response', async () => {
      const pki = await createTestCa();
      const bus2 = new EventBus('node-2', silentLogger());
      await bus2.listen(PG_URL);
      const node2 = new OcspResponder({
        ca: pki.ca,
        bus: bus2,
        config,
        log: silentLogger(),
        metrics: createMetrics(false),
      });
      try {
        const serial = await leaf(pki);
        const q = () => node2.respond(buildRequest({ certIds: [idFor(pki.issuer, serial)] }));
        assert.equal(parseResponse((await q()).der).singles[0]!.kind, 'good');
        await pki.ca.revoke(serial.toString(16), 'keyCompromise', { actor: 'node-1' });
        let kind = 'good';
        for (let i = 0; i < 50 && kind === 'good'; i++) {
          await sleep(100);
          kind = parseResponse((await q()).der).singles[0]!.kind;
        }
        assert.equal(kind, 'revoked');
      } finally {
        node2.stop();
        await bus2.close();
        await pki.cleanup();
      }
    });
  },
);
