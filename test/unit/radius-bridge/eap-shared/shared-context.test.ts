/**
 * Regression tests for the engine's shared TLS context (radius-bridge/eap/shared-server.ts):
 * - interleaved sessions each see their own peer (events reach only their session),
 * - a foreign client certificate is still refused on every session (Node's server path runs),
 * - no session resumption across EAP sessions, TLS 1.2 (session id) and TLS 1.3 (tickets):
 *   every authentication presents the full client certificate (RFC 9190 §5.7),
 * - the chain is reported leaf first up to our anchor, also for a chain with an intermediate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { EapTlsEngine, type EapStep, type EapSuccessStep } from '../../../../radius-bridge/eap/index.ts';
import { EapTlsPeer, runExchange } from '../eap/peer.ts';
import { makeTestPki, type Identity, type TestPki } from '../eap/pki.ts';

let pki: TestPki;
before(() => {
  pki = makeTestPki({ rsa: true });
});
after(() => pki.cleanup());

const engine = () => new EapTlsEngine({ tls: { key: pki.server.key, cert: pki.server.cert, ca: [pki.caPem] } });
const peer = (id: Identity, version: tls.SecureVersion, session?: Buffer) =>
  new EapTlsPeer({
    tls: {
      ca: [pki.caPem],
      servername: 'radius.test',
      minVersion: version,
      maxVersion: version,
      key: id.key,
      cert: id.chain,
      ...(session ? { session } : {}),
    },
  });

describe('EAP-TLS shared context', () => {
  it('interleaved sessions complete independently with their own chains', async () => {
    const e = engine();
    const peers = [peer(pki.clientEc, 'TLSv1.3'), peer(pki.clientRsa!, 'TLSv1.2'), peer(pki.clientEc, 'TLSv1.2')];
    const runs = peers.map((p) => ({ p, ...e.start({ identityResponse: p.identityResponse() }) }));
    const steps: EapStep[] = runs.map((r) => r.step);
    for (let round = 0; round < 200 && steps.some((s) => s.kind === 'challenge'); round++) {
      await Promise.all(
        runs.map(async (r, i) => {
          const s = steps[i]!;
          if (s.kind === 'challenge') steps[i] = await r.session.handle(await r.p.respond(s.eap));
        }),
      );
    }
    const ok = steps.map((s) => {
      assert.equal(s.kind, 'success');
      return s as EapSuccessStep;
    });
    assert.deepEqual(ok[0]!.peerChainDer, [pki.clientEc.der, pki.caDer]);
    assert.deepEqual(ok[1]!.peerChainDer, [pki.clientRsa!.der, pki.intermediateDer, pki.caDer]);
    assert.deepEqual(ok[2]!.peerChainDer, [pki.clientEc.der, pki.caDer]);
    assert.deepEqual(
      ok.map((s) => s.tlsVersion),
      ['TLSv1.3', 'TLSv1.2', 'TLSv1.2'],
    );
    assert.notDeepEqual(ok[0]!.msk, ok[2]!.msk);
    assert.equal(e.activeSessions, 0);
    peers.forEach((p) => p.destroy());
    e.close();
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: a foreign certificate is refused on every one of several sessions`, async () => {
      const e = engine();
      for (let i = 0; i < 3; i++) {
        const good = peer(pki.clientEc, version);
        assert.equal((await runExchange(e, good)).final.kind, 'success');
        good.destroy();
        const bad = peer(pki.clientForeign, version);
        const { final } = await runExchange(e, bad);
        assert.equal(final.kind, 'failure');
        bad.destroy();
      }
      e.close();
    });

    it(`${version}: a second authentication cannot resume the first`, async () => {
      const e = engine();
      const p1 = peer(pki.clientEc, version);
      let saved: Buffer | undefined;
      const first = await new Promise<Awaited<ReturnType<typeof runExchange>>>((resolve, reject) => {
        const run = runExchange(e, p1);
        void run.then((r) => {
          p1.client?.on('session', (s: Buffer) => (saved = s));
          resolve(r);
        }, reject);
      });
      assert.equal(first.final.kind, 'success');
      await new Promise((r) => setTimeout(r, 20));
      saved ??= p1.client?.getSession();
      assert.ok(saved, 'the client kept a session to offer');
      p1.destroy();
      const p2 = peer(pki.clientEc, version, saved);
      const second = await runExchange(e, p2);
      assert.equal(second.final.kind, 'success');
      assert.equal(p2.client!.isSessionReused(), false, 'full handshake');
      assert.deepEqual(
        (second.final as EapSuccessStep).peerChainDer[0],
        pki.clientEc.der,
        'the certificate was presented again',
      );
      p2.destroy();
      e.close();
    });
  }
});
