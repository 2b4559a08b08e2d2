/**
 * Bad input against the full packet handler (real DB, PKI, inventory), each case its own test:
 * short / long packets, Length mismatches, attributes past the end, bad authenticators, missing
 * Message-Authenticator, wrong codes per port, replays, Status-Server, Proxy-State: discarded and
 * counted, never a crash (EAP-level bad input: radius-bad-eap.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePacket, verifyResponse } from '../../radius-bridge/codec/index.ts';
import type { RequestContext } from '../../radius-bridge/index.ts';
import { expectDropped, radiusFixture, SECRET, type RadiusFixture } from './radius-fixture.ts';

let f: RadiusFixture;
let ctx: RequestContext;

before(async () => {
  f = await radiusFixture({ radius: { eap: { maxSessions: 4, lifetimeMs: 1000 } } });
  ctx = { nas: f.bridge.nas.lookup('127.0.0.1')!, port: 'auth', source: '127.0.0.1:40000', address: '127.0.0.1' };
  await f.addMabDevice('meter-1', '02:00:00:00:00:01');
});
after(() => f.close());

const mab = (extra: Parameters<typeof encodePacket>[0]['attributes'] = [], secret = SECRET, id = 1) =>
  encodePacket(
    {
      code: 'Access-Request',
      identifier: id,
      attributes: [
        { name: 'User-Name', value: '020000000001' },
        { name: 'Calling-Station-Id', value: '02:00:00:00:00:01' },
        ...extra,
      ],
    },
    secret,
  );

const expectDrop = (packet: Buffer, reason: string, c: Partial<RequestContext> = {}): Promise<void> => expectDropped(f, ctx, packet, reason, c);

describe('RADIUS bad input', () => {
  it('a valid MAB request is answered (baseline)', async () => {
    const p = mab();
    const d = verifyResponse((await f.bridge.handle(p, ctx))!, p.subarray(4, 20), SECRET);
    assert.equal(d.codeName, 'Access-Accept');
    assert.equal(d.attributes[0]!.type, 80, 'Message-Authenticator first');
  });

  it('short packets', async () => {
    for (const n of [0, 1, 4, 19]) await expectDrop(mab().subarray(0, n), 'malformed');
  });

  it('long packets: Length above 4096', async () => {
    const p = Buffer.concat([mab(), Buffer.alloc(5000)]);
    p.writeUInt16BE(5000, 2);
    await expectDrop(p, 'malformed');
  });

  it('Length larger than the datagram; Length below 20', async () => {
    const p = mab();
    const longer = Buffer.from(p);
    longer.writeUInt16BE(p.length + 10, 2);
    await expectDrop(longer, 'malformed');
    const tiny = Buffer.from(p);
    tiny.writeUInt16BE(12, 2);
    await expectDrop(tiny, 'malformed');
  });

  it('octets past Length are padding: ignored, the request is answered', async () => {
    const p = Buffer.concat([mab([], SECRET, 9), Buffer.alloc(30, 0xee)]);
    assert.ok(await f.bridge.handle(p, { ...ctx, source: '127.0.0.1:40009' }));
  });

  it('an attribute running past the end; an attribute of length 0 or 1', async () => {
    const p = mab();
    const past = Buffer.from(p);
    past[past.length - 2 - 17 + 1] = 200; // Calling-Station-Id claims 200 octets
    await expectDrop(past, 'malformed');
    for (const len of [0, 1]) {
      const z = Buffer.from(p);
      z[21] = len;
      await expectDrop(z, 'malformed');
    }
  });

  it('bad authenticators: wrong secret, tampered octet', async () => {
    await expectDrop(mab([], 'another-secret-entirely'), 'bad-authenticator');
    const t = mab();
    t[t.length - 1]! ^= 1;
    await expectDrop(t, 'bad-authenticator');
  });

  it('missing Message-Authenticator (BlastRADIUS): dropped', async () => {
    const p = mab();
    // rebuild without the Message-Authenticator TLV (first attribute), keep the rest
    const noMa = Buffer.concat([p.subarray(0, 20), p.subarray(38)]);
    noMa.writeUInt16BE(noMa.length, 2);
    await expectDrop(noMa, 'missing-message-authenticator');
  });

  it('wrong codes per port, responses and unknown codes', async () => {
    await expectDrop(mab(), 'unexpected-code', { port: 'acct' });
    const acct = encodePacket(
      {
        code: 'Accounting-Request',
        identifier: 3,
        attributes: [
          { name: 'Acct-Status-Type', value: 'Start' },
          { name: 'Acct-Session-Id', value: 'x' },
        ],
      },
      SECRET,
    );
    await expectDrop(acct, 'unexpected-code', { port: 'auth' });
    const accept = encodePacket({ code: 'Access-Accept', identifier: 3, attributes: [] }, SECRET, {
      requestAuthenticator: Buffer.alloc(16),
    });
    await expectDrop(accept, 'unexpected-code');
    const coa = encodePacket(
      { code: 'Disconnect-Request', identifier: 3, attributes: [{ name: 'User-Name', value: 'x' }] },
      SECRET,
    );
    await expectDrop(coa, 'unexpected-code');
    const unknown = mab();
    unknown[0] = 99;
    await expectDrop(unknown, 'malformed');
  });

  it('accounting with a bad Request Authenticator is dropped', async () => {
    const acct = encodePacket(
      {
        code: 'Accounting-Request',
        identifier: 4,
        attributes: [
          { name: 'Acct-Status-Type', value: 'Start' },
          { name: 'Acct-Session-Id', value: 'x' },
        ],
      },
      'not-the-secret-at-all',
    );
    await expectDrop(acct, 'bad-authenticator', { port: 'acct' });
  });

  it('replays: an exact retransmission gets the same reply once evaluated; other octets under the same key are dropped', async () => {
    const c = { ...ctx, source: '127.0.0.1:41000' };
    const p = mab([], SECRET, 77);
    const r1 = await f.bridge.handle(p, c);
    const before = f.bridge.metrics.dropped.get('replay-conflict') ?? 0;
    const r2 = await f.bridge.handle(Buffer.from(p), c);
    assert.deepEqual(r2, r1);
    const forged = Buffer.from(p);
    forged[forged.length - 1]! ^= 0x01;
    assert.equal(await f.bridge.handle(forged, c), null);
    assert.equal(f.bridge.metrics.dropped.get('replay-conflict'), before + 1);
  });

  it('Status-Server: answered with Message-Authenticator on both ports; without it dropped', async () => {
    for (const [port, code] of [
      ['auth', 'Access-Accept'],
      ['acct', 'Accounting-Response'],
    ] as const) {
      const p = encodePacket(
        { code: 'Status-Server', identifier: 5, attributes: [{ name: 'NAS-Identifier', value: 'probe' }] },
        SECRET,
      );
      const r = await f.bridge.handle(p, { ...ctx, port, source: `127.0.0.1:4200${port.length}` });
      const d = verifyResponse(r!, p.subarray(4, 20), SECRET, { requestCode: 12 });
      assert.equal(d.codeName, code);
    }
    const p = encodePacket(
      { code: 'Status-Server', identifier: 6, attributes: [{ name: 'NAS-Identifier', value: 'probe' }] },
      SECRET,
    );
    const noMa = Buffer.concat([p.subarray(0, 20), p.subarray(38)]);
    noMa.writeUInt16BE(noMa.length, 2);
    await expectDrop(noMa, 'bad-authenticator');
  });

  it('Proxy-State is copied into the reply in order', async () => {
    const p = mab(
      [
        { name: 'Proxy-State', value: 'one' },
        { name: 'Proxy-State', value: 'two' },
      ],
      SECRET,
      12,
    );
    const d = verifyResponse(
      (await f.bridge.handle(p, { ...ctx, source: '127.0.0.1:43000' }))!,
      p.subarray(4, 20),
      SECRET,
    );
    assert.deepEqual(d.getAll('Proxy-State').map(String), ['one', 'two']);
  });
});
