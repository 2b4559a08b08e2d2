import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { isAppError } from '../../../../platform/errors.ts';
import {
  EapTlsEngine,
  type AuthorizeHook,
  type EapFailureStep,
  type EapSuccessStep,
  type EapTlsEngineOptions,
} from '../../../../radius-bridge/eap/index.ts';
import { expectedKeyMaterial12, expectedKeyMaterial13, suiteHash } from './kdf.ts';
import { EapTlsPeer, runExchange } from './peer.ts';
import { makeTestPki, type Identity, type TestPki } from './pki.ts';

let pki: TestPki;
before(() => {
  pki = makeTestPki({ rsa: true });
});
after(() => pki.cleanup());

function engine(extra: Partial<EapTlsEngineOptions> = {}): EapTlsEngine {
  return new EapTlsEngine({ tls: { key: pki.server.key, cert: pki.server.cert, ca: [pki.caPem] }, ...extra });
}

function peer(client: Identity | undefined, version: tls.SecureVersion = 'TLSv1.3', fragmentSize?: number): EapTlsPeer {
  return new EapTlsPeer({
    fragmentSize,
    tls: {
      ca: [pki.caPem],
      servername: 'radius.test',
      minVersion: version,
      maxVersion: version,
      ...(client ? { key: client.key, cert: client.chain } : {}),
    },
  });
}

function asSuccess(step: { kind: string }): EapSuccessStep {
  assert.equal(step.kind, 'success', JSON.stringify({ ...step, eap: undefined }));
  return step as EapSuccessStep;
}

function asFailure(step: { kind: string }): EapFailureStep {
  assert.equal(step.kind, 'failure', `expected failure, got ${step.kind}`);
  return step as EapFailureStep;
}

function clientKeyMaterial(p: EapTlsPeer, version: string): Buffer {
  const c = p.client!;
  return version === 'TLSv1.3'
    ? c.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.from([0x0d]))
    : c.exportKeyingMaterial(128, 'client EAP encryption', undefined as unknown as Buffer);
}

describe('EAP-TLS engine: successful handshakes', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version}: EAP-Success, MSK equal on both sides and to the RFC derivation`, async () => {
      const seen: Buffer[][] = [];
      const authorize: AuthorizeHook = async (chain) => {
        seen.push(chain);
        return { allow: true, reasons: [] };
      };
      const e = engine({ authorize });
      const p = peer(pki.clientEc, version);
      const { session, final } = await runExchange(e, p);
      const ok = asSuccess(final);
      assert.equal(ok.tlsVersion, version);
      assert.equal(ok.identity, 'device@example.test');
      assert.equal(ok.eap[0], 3, 'EAP-Success');
      assert.equal(ok.eap.length, 4);
      const km = clientKeyMaterial(p, version);
      assert.deepEqual(ok.msk, km.subarray(0, 64));
      assert.deepEqual(ok.emsk, km.subarray(64));
      const hash = suiteHash(p.client!.getCipher().name);
      const rfc =
        version === 'TLSv1.3'
          ? expectedKeyMaterial13(p.keylog, hash)
          : expectedKeyMaterial12(p.keylog, p.firstServerFlight!, hash);
      assert.deepEqual(ok.msk, rfc.subarray(0, 64), 'MSK per RFC 5216/9190 key derivation');
      assert.deepEqual(ok.mppeRecvKey, ok.msk.subarray(0, 32));
      assert.deepEqual(ok.mppeSendKey, ok.msk.subarray(32, 64));
      assert.deepEqual(ok.peerChainDer, [pki.clientEc.der, pki.caDer]);
      assert.deepEqual(seen, [ok.peerChainDer]);
      if (version === 'TLSv1.3') {
        // RFC 9190 §2.5: the last Request before Success carried the 0x00 commitment; the peer
        // then answered with an empty EAP-TLS Response (the ACK that released EAP-Success).
        assert.ok(p.requests.at(-1)!.length > 6);
      }
      assert.equal(session.closed, true);
      assert.equal(session.tlsLive, false);
      assert.equal(e.activeSessions, 0);
      p.destroy();
    });
  }
});

describe('EAP-TLS engine: refusals', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version}: a client certificate from a foreign CA fails (verification really happens)`, async () => {
      let called = false;
      const e = engine({ authorize: async () => ((called = true), { allow: true, reasons: [] }) });
      const p = peer(pki.clientForeign, version);
      const { session, final } = await runExchange(e, p);
      const f = asFailure(final);
      assert.equal(f.eap[0], 4, 'EAP-Failure');
      assert.match(f.reason, /^tls:/);
      assert.equal(called, false);
      assert.equal(session.tlsLive, false);
      assert.equal(e.activeSessions, 0);
      p.destroy();
    });

    it(`${version}: no client certificate fails after the TLS alert is forwarded`, async () => {
      const e = engine();
      const p = peer(undefined, version);
      const { session, final } = await runExchange(e, p);
      const f = asFailure(final);
      assert.match(f.reason, /PEER_DID_NOT_RETURN_A_CERTIFICATE/);
      const last = p.requests.at(-1)!;
      assert.ok(last.length > 6, 'the alert went out in an EAP-TLS Request before EAP-Failure');
      assert.ok(p.clientError, 'the peer saw the alert');
      assert.equal(session.tlsLive, false);
      p.destroy();
    });
  }

  it('the authorize hook denies with reasons; a throwing hook fails closed', async () => {
    const deny = engine({ authorize: async () => ({ allow: false, reasons: ['device-quarantined'] }) });
    const p1 = peer(pki.clientEc);
    const f1 = asFailure((await runExchange(deny, p1)).final);
    assert.equal(f1.reason, 'not-authorized');
    assert.deepEqual(f1.reasons, ['device-quarantined']);
    p1.destroy();
    const boom = engine({
      authorize: async () => {
        throw new Error('inventory down');
      },
    });
    const p2 = peer(pki.clientEc, 'TLSv1.2');
    const f2 = asFailure((await runExchange(boom, p2)).final);
    assert.equal(f2.reason, 'authorize-error');
    assert.equal(boom.activeSessions, 0);
    p2.destroy();
  });

  it('a Nak to EAP-TLS Start fails', async () => {
    const e = engine();
    const p = peer(pki.clientEc);
    const { session, step } = e.start({ identityResponse: p.identityResponse(9) });
    const nak = Buffer.from([2, step.kind === 'challenge' ? step.eap[1]! : 0, 0, 6, 3, 25]);
    const f = asFailure(await session.handle(nak));
    assert.equal(f.reason, 'peer-nak');
    assert.equal(f.eap[1], nak[1]);
  });

  it('start() refuses anything but an EAP-Response/Identity', () => {
    const e = engine();
    assert.throws(
      () => e.start({ identityResponse: Buffer.from([1, 1, 0, 5, 1]) }),
      (err) => isAppError(err, 'ERR_EAP_MALFORMED'),
    );
    assert.throws(
      () => e.start({ identityResponse: Buffer.from([2, 1, 0, 9]) }),
      (err) => isAppError(err, 'ERR_EAP_MALFORMED'),
    );
  });
});

describe('EAP-TLS engine: fragmentation', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version}: Framed-MTU 300 with an RSA-4096 client behind an intermediate`, async () => {
      const e = engine();
      const p = peer(pki.clientRsa!, version, 286);
      const { final, rounds } = await runExchange(e, p, 300);
      const ok = asSuccess(final);
      assert.deepEqual(ok.peerChainDer, [pki.clientRsa!.der, pki.intermediateDer, pki.caDer]);
      assert.deepEqual(ok.msk, clientKeyMaterial(p, version).subarray(0, 64));
      const sizes = p.requests.map((r) => r.length);
      assert.ok(Math.max(...sizes) <= 296, `EAP packets fit Framed-MTU 300 - EAPOL 4: ${sizes}`);
      const withL = p.requests.filter((r) => (r[5]! & 0x80) !== 0);
      assert.ok(withL.length >= 1);
      for (const r of withL) assert.ok(r[5]! & 0x40, 'L only on the first fragment of a fragmented message');
      assert.ok(rounds > 10, `many rounds expected, got ${rounds}`);
      p.destroy();
    });
  }
});

describe('EAP-TLS engine: caps', () => {
  function started(e: EapTlsEngine, p: EapTlsPeer) {
    const { session, step } = e.start({ identityResponse: p.identityResponse() });
    assert.equal(step.kind, 'challenge');
    return { session, id: step.kind === 'challenge' ? step.eap[1]! : -1 };
  }

  it('fragment flood -> ERR_EAP_LIMIT (too many fragments)', async () => {
    const e = engine({ limits: { maxRounds: 1000 } }); // isolate the per-flight fragment cap
    const p = peer(pki.clientEc);
    const { session, id: firstId } = started(e, p);
    let id = firstId;
    let step = await session.handle(p.tlsResponse(id, 0x40, Buffer.alloc(10), 60_000));
    for (let i = 0; i < 100 && step.kind === 'challenge'; i++) {
      id = step.eap[1]!;
      step = await session.handle(p.tlsResponse(id, 0x40, Buffer.alloc(10)));
    }
    const f = asFailure(step);
    assert.ok(isAppError(f.error, 'ERR_EAP_LIMIT'), String(f.error));
    assert.equal(f.reason, 'fragment-limit');
    assert.equal(session.closed, true);
  });

  it('announced TLS message over 64 KiB -> ERR_EAP_LIMIT before buffering', async () => {
    const e = engine();
    const p = peer(pki.clientEc);
    const { session, id } = started(e, p);
    const f = asFailure(await session.handle(p.tlsResponse(id, 0x40, Buffer.alloc(100), 64 * 1024 + 1)));
    assert.ok(isAppError(f.error, 'ERR_EAP_LIMIT'));
  });

  it('bytes-in cap -> ERR_EAP_LIMIT', async () => {
    const e = engine({ limits: { maxBytesIn: 4096, maxFragments: 1000 } });
    const p = peer(pki.clientEc);
    const { session, id: firstId } = started(e, p);
    let step = await session.handle(p.tlsResponse(firstId, 0x40, Buffer.alloc(1000), 60_000));
    while (step.kind === 'challenge')
      step = await session.handle(p.tlsResponse(step.eap[1]!, 0x40, Buffer.alloc(1000)));
    const f = asFailure(step);
    assert.equal(f.reason, 'byte-limit');
    assert.ok(isAppError(f.error, 'ERR_EAP_LIMIT'));
  });

  it('round cap stops a real handshake with ERR_EAP_LIMIT and frees the TLS socket', async () => {
    const e = engine({ limits: { maxRounds: 6 } });
    const p = peer(pki.clientRsa!, 'TLSv1.3', 286);
    const { session, final } = await runExchange(e, p, 300);
    const f = asFailure(final);
    assert.equal(f.reason, 'round-limit');
    assert.ok(isAppError(f.error, 'ERR_EAP_LIMIT'));
    assert.equal(session.tlsLive, false);
    p.destroy();
  });

  it('lifetime cap (injected clock): next packet fails, sweep() ends idle sessions', async () => {
    let now = 1_000_000;
    const e = engine({ now: () => now });
    const p = peer(pki.clientEc);
    const { session, step } = e.start({ identityResponse: p.identityResponse() });
    assert.equal(step.kind, 'challenge');
    const s2 = await session.handle(await p.respond(step.kind === 'challenge' ? step.eap : Buffer.alloc(0)));
    assert.equal(s2.kind, 'challenge');
    assert.equal(session.tlsLive, true, 'mid-handshake');
    now += 30_001;
    const f = asFailure(await session.handle(await p.respond(s2.kind === 'challenge' ? s2.eap : Buffer.alloc(0))));
    assert.equal(f.reason, 'lifetime');
    assert.ok(isAppError(f.error, 'ERR_EAP_LIMIT'));
    assert.equal(session.tlsLive, false);
    p.destroy();

    const p2 = peer(pki.clientEc);
    const b = e.start({ identityResponse: p2.identityResponse() });
    const b2 = await b.session.handle(await p2.respond(b.step.kind === 'challenge' ? b.step.eap : Buffer.alloc(0)));
    assert.equal(b2.kind, 'challenge');
    assert.equal(e.sweep(), 0);
    now += 30_001;
    assert.equal(e.sweep(), 1);
    assert.equal(b.session.tlsLive, false);
    assert.equal(e.activeSessions, 0);
    const late = asFailure(await b.session.handle(p2.tlsResponse(b2.kind === 'challenge' ? b2.eap[1]! : 0, 0)));
    assert.equal(late.reason, 'lifetime');
    p2.destroy();
  });

  it('start() sweeps abandoned sessions once their lifetime is over', async () => {
    let now = 5_000_000;
    const e = engine({ now: () => now });
    const p = peer(pki.clientEc);
    const a = e.start({ identityResponse: p.identityResponse() });
    await a.session.handle(await p.respond(a.step.kind === 'challenge' ? a.step.eap : Buffer.alloc(0)));
    assert.equal(a.session.tlsLive, true);
    now += 30_001;
    e.start({ identityResponse: p.identityResponse() });
    assert.equal(a.session.closed, true);
    assert.equal(a.session.tlsLive, false);
    assert.equal(e.activeSessions, 1);
    e.close();
    assert.equal(e.activeSessions, 0);
    p.destroy();
  });

  it('real-time backstop: an abandoned handshake frees its TLS socket by itself', async () => {
    const e = engine({ limits: { lifetimeMs: 1500 } });
    const p = peer(pki.clientEc);
    const { session, step } = e.start({ identityResponse: p.identityResponse() });
    const mid = await session.handle(await p.respond(step.kind === 'challenge' ? step.eap : Buffer.alloc(0)));
    assert.equal(mid.kind, 'challenge');
    for (let i = 0; i < 1000 && session.tlsLive; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(session.tlsLive, false, "Node's handshake timer fired and the socket was released");
    const f = asFailure(await session.handle(p.tlsResponse(mid.kind === 'challenge' ? mid.eap[1]! : 0, 0)));
    assert.equal(f.reason, 'lifetime');
    p.destroy();
  });
});

describe('EAP-TLS engine: configuration and hygiene', () => {
  it('refuses bad limits and an empty CA list; accepts a KeyObject server key', async () => {
    assert.throws(
      () => engine({ limits: { maxRounds: 0 } }),
      (err) => isAppError(err, 'ERR_CONFIG'),
    );
    assert.throws(
      () => engine({ limits: { lifetimeMs: Number.NaN } }),
      (err) => isAppError(err, 'ERR_CONFIG'),
    );
    assert.throws(
      () => new EapTlsEngine({ tls: { key: pki.server.key, cert: pki.server.cert, ca: [] } }),
      (err) => isAppError(err, 'ERR_CONFIG'),
    );
    const e = new EapTlsEngine({
      tls: { key: createPrivateKey(pki.server.key), cert: pki.server.cert, ca: [pki.caPem], minVersion: 'TLSv1.2' },
    });
    const p = peer(pki.clientEc, 'TLSv1.2');
    asSuccess((await runExchange(e, p)).final);
    p.destroy();
  });

  it('leaves no ref-ed timers or immediates behind', async () => {
    const count = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
    const before = count();
    const e = engine();
    for (const c of [pki.clientEc, pki.clientForeign, undefined]) {
      const p = peer(c);
      await runExchange(e, p);
      p.destroy();
    }
    const p = peer(pki.clientEc);
    const { session, step } = e.start({ identityResponse: p.identityResponse() });
    await session.handle(await p.respond(step.kind === 'challenge' ? step.eap : Buffer.alloc(0)));
    e.close();
    p.destroy();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(e.activeSessions, 0);
    assert.equal(session.tlsLive, false);
    assert.ok(count() <= before, process.getActiveResourcesInfo().join(','));
  });
});
