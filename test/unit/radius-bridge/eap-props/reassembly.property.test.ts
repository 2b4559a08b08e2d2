/**
 * Property tests over EAP-TLS fragmentation and reassembly (RFC 5216 §2.1.5, §3.1):
 * - fragment-then-reassemble is the identity for any message and fragment size;
 * - any sequence of arbitrary fragments (flags, lengths, data) ends in a message, "more", or an
 *   AppError (ERR_EAP_MALFORMED / ERR_EAP_LIMIT) — never another exception — and never buffers
 *   more than the configured message cap;
 * - parseEap / parseEapTls on garbage return or throw AppError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isAppError } from '../../../../platform/errors.ts';
import {
  fragmentTlsMessage,
  parseEap,
  parseEapTls,
  TlsReassembler,
  type EapTlsData,
} from '../../../../radius-bridge/eap/index.ts';

const frag = fc.record({
  start: fc.boolean(),
  more: fc.boolean(),
  tlsMessageLength: fc.option(fc.nat({ max: 70_000 }), { nil: undefined }),
  data: fc.uint8Array({ maxLength: 1500 }).map((a) => Buffer.from(a)),
});

describe('EAP-TLS reassembly properties', () => {
  it('fragmenting then reassembling returns the message', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20_000 }),
        fc.integer({ min: 1, max: 1400 }),
        fc.boolean(),
        (bytes, size, alwaysL) => {
          const message = Buffer.from(bytes);
          const frags = fragmentTlsMessage(message, size, alwaysL);
          const r = new TlsReassembler({ maxMessageBytes: 64 * 1024, maxFragments: 100_000 });
          let out: Buffer | undefined;
          frags.forEach((f, i) => {
            out = r.push(f);
            if (i < frags.length - 1) assert.equal(out, undefined);
          });
          assert.deepEqual(out, message);
          assert.equal(r.inProgress, false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary fragment floods end in a message, more, or an AppError, within the caps', () => {
    fc.assert(
      fc.property(
        fc.array(frag, { maxLength: 80 }),
        fc.integer({ min: 1, max: 70_000 }),
        fc.integer({ min: 1, max: 64 }),
        (frags, maxMessageBytes, maxFragments) => {
          const r = new TlsReassembler({ maxMessageBytes, maxFragments });
          let parts = 0;
          for (const f of frags as EapTlsData[]) {
            try {
              const out = r.push(f);
              if (out) {
                assert.ok(out.length <= maxMessageBytes);
                parts = 0;
              } else parts++;
              assert.ok(parts <= maxFragments);
            } catch (e) {
              assert.ok(isAppError(e, 'ERR_EAP_MALFORMED') || isAppError(e, 'ERR_EAP_LIMIT'), String(e));
              assert.equal(r.inProgress, false, 'reset after an error');
              parts = 0;
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parseEap / parseEapTls on garbage return or throw AppError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b = Buffer.from(bytes);
        for (const f of [() => parseEap(b), () => parseEap(b, { allowTrailing: true }), () => parseEapTls(b)]) {
          try {
            f();
          } catch (e) {
            assert.ok(isAppError(e), String(e));
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
