import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildCrl, crlUrls, parseCrl } from '../../../../ca/crl/index.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { randomSerial, softIssuer } from './helpers.ts';

const issuer = softIssuer('P-256');
const urls = crlUrls('http://127.0.0.1:8080', 'i1');
const now = new Date();
const sample = buildCrl(
  {
    issuer,
    number: 5,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 3600e3),
    idpUrl: urls.full,
    freshestUrl: urls.delta,
  },
  Array.from({ length: 6 }, (_, i) => ({
    serial: randomSerial(),
    revokedAt: 1_700_000_000 + i,
    reason: i % 2 ? 'keyCompromise' : null,
    invalidityDate: i === 3 ? 1_600_000_000 : null,
  })),
).der;
const delta = buildCrl(
  {
    issuer,
    number: 6,
    baseNumber: 5,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 3600e3),
    idpUrl: urls.full,
  },
  [{ serial: '0a', revokedAt: 1, reason: 'removeFromCRL' }],
).der;

/** Returns or throws ERR_DER_MALFORMED — never another error, never a hang. */
function total(input: Buffer): void {
  try {
    parseCrl(input);
  } catch (e) {
    assert.ok(isAppError(e, 'ERR_DER_MALFORMED'), `unexpected ${String(e)}`);
  }
}

test('garbage input: returns or throws ERR_DER_MALFORMED', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => total(Buffer.from(b))),
    { numRuns: 3000 },
  );
});

test('mutated CRLs (flipped, inserted, deleted bytes, truncation): returns or throws ERR_DER_MALFORMED', () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), v: fc.constant(0) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), v: fc.constant(0) }),
  );
  fc.assert(
    fc.property(fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (useDelta, muts) => {
      let b = Buffer.from(useDelta ? delta : sample);
      for (const m of muts) {
        const at = m.at % b.length;
        if (m.kind === 'flip') b[at] = m.v;
        else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.v]), b.subarray(at)]);
        else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        else b = b.subarray(0, at);
        if (b.length === 0) break;
      }
      total(b);
    }),
    { numRuns: 3000 },
  );
});

test('a CRL with an unknown critical extension is refused (RFC 5280 §5.2)', () => {
  // turn the (critical) IDP OID 2.5.29.28 into 2.5.29.99: still critical, now unknown
  const b = Buffer.from(sample);
  const at = b.indexOf(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x1c]));
  assert.ok(at > 0);
  b[at + 4] = 0x63;
  assert.throws(
    () => parseCrl(b),
    (e) => isAppError(e, 'ERR_DER_MALFORMED'),
  );
});

test('trailing data after the CRL is refused', () => {
  assert.throws(
    () => parseCrl(Buffer.concat([sample, Buffer.from([0])])),
    (e) => isAppError(e, 'ERR_DER_MALFORMED'),
  );
  assert.equal(parseCrl(sample).entries.length, 6);
});
