import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { isAppError } from '../../../../platform/errors.ts';
import { EapTlsEngine, parseEap, parseEapTls, type EapStep } from '../../../../radius-bridge/eap/index.ts';
import { EapTlsPeer } from './peer.ts';
import { makeTestPki, type TestPki } from './pki.ts';

let pki: TestPki;
before(() => {
  pki = makeTestPki();
});
after(() => pki.cleanup());

function engine(): EapTlsEngine {
  return new EapTlsEngine({ tls: { key: pki.server.key, cert: pki.server.cert, ca: [pki.caPem] } });
}

function peer(): EapTlsPeer {
  return new EapTlsPeer({
    tls: { ca: [pki.caPem], servername: 'radius.test', key: pki.clientEc.key, cert: pki.clientEc.cert },
  });
}

function eapOf(step: EapStep): Buffer {
  assert.ok(step.kind === 'challenge', `expected challenge, got ${step.kind}`);
  return step.eap;
}

describe('EAP identifiers and retransmissions', () => {
  it('a retransmitted Response returns the cached Request without feeding TLS again', async () => {
    const e = engine();
    const p = peer();
    const identity = p.identityResponse(7);
    const { session, step } = e.start({ identityResponse: identity });
    const start = eapOf(step);
    assert.equal(start[1], 8, 'first Request id = Identity Response id + 1');
    assert.deepEqual(eapOf(await session.handle(identity)), start, 'retransmitted Identity -> Start again');

    const clientHello = await p.respond(start);
    const [a, b] = await Promise.all([session.handle(clientHello), session.handle(clientHello)]);
    const flight = eapOf(a);
    assert.deepEqual(eapOf(b), flight, 'concurrent retransmission gets the same Request');
    assert.deepEqual(eapOf(await session.handle(clientHello)), flight, 'later retransmission too');
    assert.equal(flight[1], 9);

    // Same id, different octets: not a retransmission, and not the outstanding id -> discard.
    const forged = Buffer.from(clientHello);
    forged[forged.length - 1]! ^= 1;
    const d = await session.handle(forged);
    assert.equal(d.kind, 'discard');

    // The handshake still completes: TLS saw the ClientHello exactly once.
    let s: EapStep = a;
    let last: Buffer = clientHello;
    while (s.kind === 'challenge') {
      last = await p.respond(s.eap);
      s = await session.handle(last);
    }
    assert.equal(s.kind, 'success');
    assert.equal(await session.handle(last), s, 'retransmitted final ACK -> same EAP-Success');
    assert.equal((await session.handle(p.tlsResponse(200, 0))).kind, 'discard');
    p.destroy();
  });

  it('Request ids wrap modulo 256', async () => {
    const e = engine();
    const p = peer();
    const { session, step } = e.start({ identityResponse: p.identityResponse(255) });
    assert.equal(eapOf(step)[1], 0);
    let s = step;
    let prev = 255;
    while (s.kind === 'challenge') {
      assert.equal(s.eap[1], (prev + 1) & 0xff);
      prev = s.eap[1]!;
      s = await session.handle(await p.respond(s.eap));
    }
    assert.equal(s.kind, 'success');
    assert.equal((s as { eap: Buffer }).eap[1], prev, 'EAP-Success carries the id of the Response it answers');
    p.destroy();
  });

  it('wrong id, Requests and garbage are silently discarded without ending the session', async () => {
    const e = engine();
    const p = peer();
    const { session, step } = e.start({ identityResponse: p.identityResponse(1) });
    const start = eapOf(step);
    assert.equal((await session.handle(p.tlsResponse(99, 0))).kind, 'discard');
    assert.equal((await session.handle(Buffer.from([1, start[1]!, 0, 6, 13, 0]))).kind, 'discard');
    const g = await session.handle(Buffer.from([2, 2, 0, 200, 13]));
    assert.equal(g.kind, 'discard');
    assert.ok(g.kind === 'discard' && isAppError(g.error, 'ERR_EAP_MALFORMED'));
    let s = await session.handle(await p.respond(start));
    while (s.kind === 'challenge') s = await session.handle(await p.respond(s.eap));
    assert.equal(s.kind, 'success');
    p.destroy();
  });
});

type Cmd =
  | { t: 'garbage'; bytes: Uint8Array }
  | { t: 'tls'; flags: number; total: number | undefined; data: Uint8Array }
  | { t: 'ack' }
  | { t: 'hello' }
  | { t: 'repeat' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ t: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({
    t: fc.constant('tls' as const),
    flags: fc.constantFrom(0, 0x40, 0x80, 0xc0, 0x20, 0x1f),
    total: fc.option(fc.nat({ max: 70_000 }), { nil: undefined }),
    data: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({ t: fc.constant('ack' as const) }),
  fc.record({ t: fc.constant('hello' as const) }),
  fc.record({ t: fc.constant('repeat' as const) }),
);

/** TLS data of a real ClientHello, so runs also reach a live TLS server mid-handshake. */
async function realClientHello(): Promise<Buffer> {
  const p = peer();
  const resp = await p.respond(Buffer.from([1, 1, 0, 6, 13, 0x20]));
  p.destroy();
  return resp.subarray(6);
}

describe('EAP-TLS session under hostile input (fast-check)', () => {
  it('never throws, answers only with well-formed steps, and frees TLS when closed', async () => {
    const e = engine();
    const p = peer();
    const hello = await realClientHello();
    let tlsReached = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { maxLength: 40 }), async (cmds) => {
        const { session, step } = e.start({ identityResponse: p.identityResponse(3) });
        let id = eapOf(step)[1]!;
        let last: Buffer = Buffer.alloc(0);
        for (const c of cmds) {
          let pkt: Buffer;
          if (c.t === 'garbage') pkt = Buffer.from(c.bytes);
          else if (c.t === 'ack') pkt = p.tlsResponse(id, 0);
          else if (c.t === 'repeat') pkt = last;
          else if (c.t === 'hello') pkt = p.tlsResponse(id, 0, hello);
          else
            pkt = p.tlsResponse(
              id,
              c.flags & 0x7f,
              Buffer.from(c.data),
              c.flags & 0x80 ? (c.total ?? c.data.length) : undefined,
            );
          last = pkt;
          const s = await session.handle(pkt);
          if (s.kind === 'challenge') {
            const req = parseEap(s.eap);
            assert.ok(req.code === 1 && req.type === 13);
            parseEapTls(req.typeData);
            id = req.id;
          } else if (s.kind === 'failure') {
            assert.equal(s.eap[0], 4);
            assert.ok(!s.error || isAppError(s.error));
          } else if (s.kind === 'discard') {
            assert.ok(!s.error || isAppError(s.error));
          } else {
            assert.fail('garbage must never authenticate');
          }
        }
        if (session.tlsLive) tlsReached++;
        session.close();
        assert.equal(session.tlsLive, false);
        assert.equal(e.activeSessions, 0);
      }),
      { numRuns: 150 },
    );
    assert.ok(tlsReached > 0, 'some runs reached a live TLS handshake');
    p.destroy();
  });
});
