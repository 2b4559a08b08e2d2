/**
 * Property tests over the full RADIUS handler (decode -> dedupe -> verify -> dispatch -> encode)
 * with a real database, PKI and inventory behind it:
 * - garbage datagrams never throw, never reject, and are never answered;
 * - any single-octet change to a signed request (Message-Authenticator present) is never answered;
 * - requests signed with another secret are never answered;
 * - valid requests on random sources are always answered with Message-Authenticator first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { encodePacket, verifyResponse } from '../../radius-bridge/codec/index.ts';
import type { RequestContext } from '../../radius-bridge/index.ts';
import { radiusFixture, SECRET, type RadiusFixture } from './radius-fixture.ts';

let f: RadiusFixture;
let ctx: RequestContext;
before(async () => {
  f = await radiusFixture({ policy: { unknownMac: 'guest', guestVlan: 99 } });
  ctx = { nas: f.bridge.nas.lookup('127.0.0.1')!, port: 'auth', source: '127.0.0.1:1', address: '127.0.0.1' };
});
after(() => f.close());

const port = fc.constantFrom<RequestContext['port']>('auth', 'acct', 'radsec');
const source = fc.integer({ min: 1, max: 65535 }).map((p) => `127.0.0.1:${p}`);

function signedMab(id: number, mac: string, secret = SECRET): Buffer {
  return encodePacket(
    {
      code: 'Access-Request',
      identifier: id,
      attributes: [
        { name: 'User-Name', value: mac },
        { name: 'Calling-Station-Id', value: mac },
      ],
    },
    secret,
  );
}
const mac = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
  .map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));

describe('RADIUS handler properties', () => {
  it('garbage is never answered and never throws', async () => {
    const header = fc.tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 5000 }),
      fc.uint8Array({ minLength: 0, maxLength: 600 }),
    );
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 5000 }).map((a) => Buffer.from(a)),
      header.map(([code, id, len, rest]) => {
        const b = Buffer.concat([Buffer.from([code, id, 0, 0]), Buffer.alloc(16), Buffer.from(rest)]);
        b.writeUInt16BE(len, 2);
        return b;
      }),
    );
    await fc.assert(
      fc.asyncProperty(datagram, port, source, async (d, p, s) => {
        assert.equal(await f.bridge.handle(d, { ...ctx, port: p, source: s }), null);
      }),
      { numRuns: 2000 },
    );
  });

  it('any single-octet change to a signed request is never answered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 255 }),
        mac,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        source,
        async (id, m, pos, xor, s) => {
          const p = signedMab(id, m);
          const i = pos % p.length;
          p[i]! ^= xor;
          assert.equal(await f.bridge.handle(p, { ...ctx, source: s }), null, `octet ${i}`);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('requests signed with another secret are never answered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }).filter((x) => x !== SECRET),
        mac,
        source,
        async (secret, m, s) => {
          assert.equal(await f.bridge.handle(signedMab(1, m, secret), { ...ctx, source: s }), null);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('valid requests are answered, Message-Authenticator first, verifiable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 255 }), mac, source, async (id, m, s) => {
        const p = signedMab(id, m);
        const r = await f.bridge.handle(p, { ...ctx, source: s });
        assert.ok(r);
        const d = verifyResponse(r, p.subarray(4, 20), SECRET);
        assert.equal(d.attributes[0]!.type, 80);
        assert.equal(d.codeName, 'Access-Accept');
        assert.equal(d.getString('Tunnel-Private-Group-Id'), '99');
      }),
      { numRuns: 300 },
    );
  });
});
