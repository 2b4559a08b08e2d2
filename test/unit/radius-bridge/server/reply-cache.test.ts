/**
 * Duplicate detection (RFC 5080 §2.2.2): retransmits get the first reply, conflicting replays are
 * flagged, a new Request Authenticator replaces the slot, expiry and bounds hold.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CONFLICT, ReplyCache } from '../../../../radius-bridge/server/reply-cache.ts';

describe('ReplyCache', () => {
  it('answers a retransmission with the same promise, flags a conflicting replay', async () => {
    let now = 0;
    const c = new ReplyCache({ ttlMs: 5000, max: 1024, now: () => now });
    const auth = randomBytes(16);
    const req = Buffer.concat([Buffer.from([1, 7, 0, 24]), auth, Buffer.from([1, 4, 65, 66])]);
    const reply = Promise.resolve(Buffer.from('reply'));
    assert.equal(c.get('10.0.0.1:1000', 7, auth, req), undefined);
    c.set('10.0.0.1:1000', 7, auth, req, reply);
    assert.equal(c.get('10.0.0.1:1000', 7, auth, Buffer.from(req)), reply);
    const other = Buffer.from(req);
    other[other.length - 1] = 67;
    assert.equal(c.get('10.0.0.1:1000', 7, auth, other), CONFLICT);
    assert.equal(c.get('10.0.0.1:1001', 7, auth, req), undefined, 'another source port');
    assert.equal(c.get('10.0.0.1:1000', 8, auth, req), undefined, 'another identifier');
    assert.equal(c.get('10.0.0.1:1000', 7, randomBytes(16), req), undefined, 'a new request on the id');
    now = 5000;
    assert.equal(c.get('10.0.0.1:1000', 7, auth, req), undefined, 'expired');
  });

  it('a new authenticator replaces the slot; delete forgets; ttl 0 disables', () => {
    const c = new ReplyCache({ ttlMs: 5000, max: 1024 });
    const a1 = randomBytes(16);
    const a2 = randomBytes(16);
    const r = Promise.resolve(null);
    c.set('s', 1, a1, a1, r);
    c.set('s', 1, a2, a2, r);
    assert.equal(c.get('s', 1, a1, a1), undefined);
    assert.equal(c.get('s', 1, a2, a2), r);
    c.delete('s', 1);
    assert.equal(c.get('s', 1, a2, a2), undefined);
    const off = new ReplyCache({ ttlMs: 0, max: 1024 });
    off.set('s', 1, a1, a1, r);
    assert.equal(off.get('s', 1, a1, a1), undefined);
    assert.equal(c.size, 0);
  });

  it('is bounded by sources (max / 256), evicting the oldest', () => {
    const c = new ReplyCache({ ttlMs: 60_000, max: 512 });
    const a = randomBytes(16);
    for (let i = 0; i < 10; i++) c.set(`src${i}`, 0, a, a, Promise.resolve(null));
    assert.equal(c.get('src0', 0, a, a), undefined);
    assert.ok(c.get('src9', 0, a, a));
    assert.ok(c.size <= 2);
  });
});
