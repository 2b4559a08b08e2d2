/**
 * EAP-level bad input against the full handler (real DB, PKI, inventory), each case its own test:
 * unknown State, State from another NAS, garbage EAP, EAP-TLS fragment floods, half-open sessions.
 * Discarded (or refused with EAP-Failure) and counted, never a crash. Packet-level bad input:
 * radius-bad-input.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePacket } from '../../radius-bridge/codec/index.ts';
import type { RequestContext } from '../../radius-bridge/index.ts';
import { expectDropped, radiusFixture, SECRET, type RadiusFixture } from './radius-fixture.ts';
import { RadiusEapClient } from './radius-eap-client.ts';

let f: RadiusFixture;
let ctx: RequestContext;

before(async () => {
  f = await radiusFixture({ radius: { eap: { maxSessions: 4, lifetimeMs: 1000 } } });
  ctx = { nas: f.bridge.nas.lookup('127.0.0.1')!, port: 'auth', source: '127.0.0.1:40000', address: '127.0.0.1' };
});
after(() => f.close());

const expectDrop = (packet: Buffer, reason: string, c: Partial<RequestContext> = {}): Promise<void> => expectDropped(f, ctx, packet, reason, c);

describe('RADIUS bad EAP input', () => {
  it('EAP: unknown State, and a State presented by another NAS, are dropped', async () => {
    const eap = Buffer.from([2, 9, 0, 6, 13, 0]);
    const p = encodePacket(
      {
        code: 'Access-Request',
        identifier: 20,
        attributes: [
          { name: 'EAP-Message', value: eap },
          { name: 'State', value: Buffer.alloc(16, 7) },
        ],
      },
      SECRET,
    );
    await expectDrop(p, 'unknown-state');
    const client = new RadiusEapClient(f.bridge, { ...ctx, source: '127.0.0.1:44000' }, SECRET);
    const start = client.request([
      { name: 'EAP-Message', value: Buffer.from([2, 1, 0, 9, 1, ...Buffer.from('anon')]) },
    ]);
    const ch = await client.send(start);
    assert.equal(ch?.codeName, 'Access-Challenge');
    const other = { ...ctx, nas: { ...ctx.nas, name: 'sw-other' } };
    const next = client.request([
      { name: 'EAP-Message', value: Buffer.from([2, 2, 0, 6, 13, 0]) },
      { name: 'State', value: ch!.get('State')! },
    ]);
    await expectDrop(next, 'unknown-state', other);
  });

  it('EAP: a non-Identity first message and garbage EAP are discarded', async () => {
    for (const eap of [Buffer.from([2, 1, 0, 6, 13, 0]), Buffer.from([9, 9, 9]), Buffer.from([2, 1, 0, 200, 1])]) {
      const p = encodePacket(
        { code: 'Access-Request', identifier: 21, attributes: [{ name: 'EAP-Message', value: eap }] },
        SECRET,
      );
      await expectDrop(p, 'eap-discard');
    }
  });

  it('EAP fragment flood: many tiny fragments end in Access-Reject with EAP-Failure', async () => {
    const client = new RadiusEapClient(f.bridge, { ...ctx, source: '127.0.0.1:45000' }, SECRET);
    let reply = await client.send(
      client.request([{ name: 'EAP-Message', value: Buffer.from([2, 1, 0, 9, 1, ...Buffer.from('anon')]) }]),
    );
    let id = 2;
    let rounds = 0;
    while (reply?.codeName === 'Access-Challenge' && rounds < 200) {
      const flags = rounds === 0 ? 0xc0 : 0x40; // L+M first, then M
      const body = rounds === 0 ? Buffer.from([13, flags, 0, 0, 0xff, 0xff, 0x16]) : Buffer.from([13, flags, 0x16]);
      const eap = Buffer.concat([Buffer.from([2, id & 0xff, 0, 4 + body.length]), body]);
      reply = await client.send(
        client.request([
          { name: 'EAP-Message', value: eap },
          { name: 'State', value: reply.get('State')! },
        ]),
      );
      id = (reply?.getConcatenated('EAP-Message')?.[1] ?? id) as number;
      rounds++;
    }
    assert.equal(reply?.codeName, 'Access-Reject');
    assert.equal(reply?.getConcatenated('EAP-Message')?.[0], 4, 'EAP-Failure');
    assert.ok(rounds <= 64, `stopped by the caps after ${rounds} rounds`);
  });

  it('half-open EAP sessions: capped, then swept at their lifetime', async () => {
    f.bridge.sweep();
    const base = f.bridge.eapSessions();
    const client = new RadiusEapClient(f.bridge, { ...ctx, source: '127.0.0.1:46000' }, SECRET);
    const identity = () =>
      client.request([{ name: 'EAP-Message', value: Buffer.from([2, 1, 0, 9, 1, ...Buffer.from('anon')]) }]);
    for (let i = base; i < 4; i++) assert.equal((await client.send(identity()))?.codeName, 'Access-Challenge');
    await expectDrop(identity(), 'eap-sessions-full', { source: '127.0.0.1:46000' });
    await new Promise((r) => setTimeout(r, 1100));
    f.bridge.sweep();
    assert.equal(f.bridge.eapSessions(), 0);
    assert.equal((await client.send(identity()))?.codeName, 'Access-Challenge');
  });
});
