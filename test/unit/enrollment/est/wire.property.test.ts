/**
 * Property and example tests of the EST parsers: base64 bodies (RFC 8951 §3), the CSR field
 * reader (RFC 2986 / RFC 7030 §3.5), Basic credentials (RFC 7617) and multipart (RFC 2046).
 * Whatever the input, each returns or throws an AppError — never another exception or a hang;
 * a whole simpleenroll with garbage is a 4xx, never a 5xx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAppError } from '../../../../platform/errors.ts';
import { csrFields } from '../../../../enrollment/est/csr-fields.ts';
import {
  createEstHandlers,
  decodeBase64,
  encodeBase64,
  parseBasic,
  parseMultipart,
} from '../../../../enrollment/est/index.ts';
import { makeCsr } from '../../../helpers/pki.ts';
import { enrollmentConfig } from './harness.ts';

const appErrorOr = (fn: () => unknown): void => {
  try {
    fn();
  } catch (e) {
    if (!isAppError(e)) throw e;
  }
};

test('base64: round trip with any line breaking and padding; garbage is ERR_BAD_INPUT', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 80 }),
      fc.boolean(),
      (bytes, width, crlf) => {
        const b = Buffer.from(bytes);
        const s = b.toString('base64');
        const broken = s.replace(new RegExp(`.{1,${width}}`, 'g'), `$&${crlf ? '\r\n' : '\n'}`);
        assert.deepEqual(decodeBase64(broken), b);
        assert.deepEqual(decodeBase64(s.replace(/=+$/, '')), b);
        assert.deepEqual(decodeBase64(encodeBase64(b)), b);
      },
    ),
  );
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => appErrorOr(() => decodeBase64(s))));
  for (const bad of ['', ' \r\n', '@@@@', 'QQ=', 'QUJD=', 'Q', 'QU JD\u0000'])
    assert.throws(
      () => decodeBase64(bad),
      (e) => isAppError(e, 'ERR_BAD_INPUT'),
      JSON.stringify(bad),
    );
});

test('csrFields: reads subject and challengePassword; garbage and mutations are AppErrors', () => {
  const { csrDer } = makeCsr('P-256', { subject: { commonName: 'x' }, challengePassword: 'cb+/=' });
  const f = csrFields(csrDer);
  assert.equal(f.challengePassword, 'cb+/=');
  assert.ok(f.subjectDer.length > 2);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => appErrorOr(() => csrFields(Buffer.from(b)))));
  fc.assert(
    fc.property(fc.nat(csrDer.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(csrDer.length), (i, v, cut) => {
      const m = Buffer.from(csrDer);
      m[i] = v;
      appErrorOr(() => csrFields(m));
      appErrorOr(() => csrFields(m.subarray(0, cut)));
    }),
  );
});

test('parseBasic: user:pass with colons in the password; anything else undefined', () => {
  const enc = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.deepEqual(parseBasic(enc('dev-1:ab:cd')), { user: 'dev-1', pass: 'ab:cd' });
  assert.deepEqual(parseBasic(enc(':tok')), { user: '', pass: 'tok' });
  assert.equal(parseBasic(enc('nocolon')), undefined);
  assert.equal(parseBasic('Bearer abc'), undefined);
  assert.equal(parseBasic(undefined), undefined);
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => void parseBasic(s)));
});

test('parseMultipart: garbage is an AppError or parts', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 400 }), (ct, body) =>
      appErrorOr(() => parseMultipart(ct, body)),
    ),
  );
});

test('simpleenroll with garbage bodies and headers answers 4xx, never 5xx', async () => {
  const cfg = enrollmentConfig({});
  const h = createEstHandlers({
    onboarding: { enroll: async () => Promise.reject(new Error('must not be reached with garbage')) },
    ca: { caCertificates: () => [], issuers: () => [] },
    config: { ...cfg.est, labels: {}, approval: { mode: 'deny' } },
  });
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom('application/pkcs10', 'text/plain', undefined),
      fc.boolean(),
      async (b, ct, asB64) => {
        const body = asB64 ? Buffer.from(Buffer.from(b).toString('base64')) : Buffer.from(b);
        const r = await h.simpleenroll({ body, contentType: ct, auth: { tlsAuthorized: false }, peer: 'x' });
        assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${String(r.body)}`);
      },
    ),
    { numRuns: 200 },
  );
});
