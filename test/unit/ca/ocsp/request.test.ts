import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decodeGetPath, parseOcspRequest, OCSP_MAX_REQUEST_BYTES } from '../../../../ca/ocsp/request.ts';
import { isAppError } from '../../../../platform/errors.ts';
import * as der from '../../../../ca/asn1/index.ts';
import { OID } from '../../../../ca/asn1/index.ts';
import { buildRequest, certIdDer, extension, type CertIdSpec } from './helpers.ts';

const h20 = Buffer.alloc(20, 0xab);
const k20 = Buffer.alloc(20, 0xcd);
const id = (serial: bigint | number = 0x1234n, over: Partial<CertIdSpec> = {}): CertIdSpec => ({
  nameHash: h20,
  keyHash: k20,
  serial,
  ...over,
});
const opts = { maxCertIds: 10 };
const malformed = (fn: () => unknown, re?: RegExp) =>
  assert.throws(fn, (e: unknown) => isAppError(e, 'ERR_OCSP_MALFORMED') && (!re || re.test((e as Error).message)));

describe('parseOcspRequest', () => {
  it('parses a single SHA-1 CertID without nonce, keeping the CertID bytes', () => {
    const r = parseOcspRequest(buildRequest({ certIds: [id(0x00ff10n)] }), opts);
    assert.equal(r.certIds.length, 1);
    const c = r.certIds[0]!;
    assert.equal(c.hashAlg, 'sha1');
    assert.equal(c.paramsAbsent, false);
    assert.equal(c.serial, 'ff10');
    assert.deepEqual(c.issuerNameHash, h20);
    assert.deepEqual(c.der, certIdDer(id(0x00ff10n)));
    assert.equal(r.nonce, null);
    assert.equal(r.signed, false);
  });

  it('parses SHA-256 CertIDs with absent parameters, and a serial with the top bit set', () => {
    const spec = id(0x80n, {
      hashAlg: 'sha256',
      nameHash: Buffer.alloc(32, 1),
      keyHash: Buffer.alloc(32, 2),
      paramsAbsent: true,
    });
    const c = parseOcspRequest(buildRequest({ certIds: [spec] }), opts).certIds[0]!;
    assert.equal(c.hashAlg, 'sha256');
    assert.equal(c.paramsAbsent, true);
    assert.equal(c.serial, '80');
  });

  it('normalizes serials to the store form (lowercase hex, no leading zero)', () => {
    assert.equal(parseOcspRequest(buildRequest({ certIds: [id(0x0a)] }), opts).certIds[0]!.serial, 'a');
    assert.equal(parseOcspRequest(buildRequest({ certIds: [id(0)] }), opts).certIds[0]!.serial, '0');
    const big = 0x7fedcba9876543210123456789abcdef01234567n;
    assert.equal(parseOcspRequest(buildRequest({ certIds: [id(big)] }), opts).certIds[0]!.serial, big.toString(16));
  });

  it('gives a negative serial as null (never ours)', () => {
    assert.equal(parseOcspRequest(buildRequest({ certIds: [id(-5)] }), opts).certIds[0]!.serial, null);
  });

  it('accepts 1..32-octet nonces and returns the value to echo', () => {
    for (const n of [1, 16, 32]) {
      const nonce = randomBytes(n);
      const r = parseOcspRequest(buildRequest({ certIds: [id()], nonce }), opts);
      assert.deepEqual(r.nonce, nonce);
      assert.deepEqual(r.nonceExtnValue, der.octetString(nonce));
    }
  });

  it('refuses empty or longer than 32-octet nonces (RFC 8954 §2.1)', () => {
    malformed(() => parseOcspRequest(buildRequest({ certIds: [id()], nonce: randomBytes(33) }), opts), /nonce/);
    malformed(
      () => parseOcspRequest(buildRequest({ certIds: [id()], nonceRaw: der.octetString(Buffer.alloc(0)) }), opts),
      /nonce/,
    );
    malformed(() => parseOcspRequest(buildRequest({ certIds: [id()], nonceRaw: Buffer.from('raw-nonce') }), opts));
  });

  it('enforces maxCertIds and a non-empty requestList', () => {
    const many = Array.from({ length: 11 }, (_, i) => id(i + 1));
    malformed(() => parseOcspRequest(buildRequest({ certIds: many }), opts), /more than 10/);
    assert.equal(parseOcspRequest(buildRequest({ certIds: many.slice(0, 10) }), opts).certIds.length, 10);
    malformed(() => parseOcspRequest(buildRequest({ certIds: [] }), opts), /empty/);
  });

  it('accepts optional fields: explicit v1, requestorName, a signature, non-critical unknown extensions', () => {
    const r = parseOcspRequest(
      buildRequest({
        certIds: [id()],
        version: 0,
        requestorName: true,
        signed: true,
        extensions: [extension('1.3.6.1.5.5.7.48.1.4', der.seq(der.oid(OID.ocspBasic)))],
        singleExtensions: [extension('1.2.3.4', der.nullDer())],
      }),
      opts,
    );
    assert.equal(r.signed, true);
    assert.equal(r.certIds.length, 1);
  });

  it('refuses other versions, unknown critical extensions, duplicates and explicit critical FALSE', () => {
    malformed(() => parseOcspRequest(buildRequest({ certIds: [id()], version: 1 }), opts), /version/);
    malformed(
      () =>
        parseOcspRequest(
          buildRequest({ certIds: [id()], extensions: [extension('1.2.3', der.nullDer(), true)] }),
          opts,
        ),
      /critical/,
    );
    malformed(
      () =>
        parseOcspRequest(
          buildRequest({ certIds: [id()], singleExtensions: [extension('1.2.3', der.nullDer(), true)] }),
          opts,
        ),
      /critical/,
    );
    const dup = extension('1.2.3', der.nullDer());
    malformed(() => parseOcspRequest(buildRequest({ certIds: [id()], extensions: [dup, dup] }), opts), /duplicate/);
    const falseCrit = der.seq(der.oid('1.2.3'), der.bool(false), der.octetString(der.nullDer()));
    malformed(() => parseOcspRequest(buildRequest({ certIds: [id()], extensions: [falseCrit] }), opts), /FALSE/);
  });

  it('checks CertID hash algorithm, parameters and hash lengths', () => {
    assert.equal(
      parseOcspRequest(buildRequest({ certIds: [id(1, { hashAlg: 'sha384' })] }), opts).certIds[0]!.hashAlg,
      'unsupported',
    );
    malformed(
      () => parseOcspRequest(buildRequest({ certIds: [id(1, { nameHash: Buffer.alloc(19) })] }), opts),
      /length/,
    );
    malformed(() => parseOcspRequest(buildRequest({ certIds: [id(1, { hashAlg: 'sha256' })] }), opts), /length/);
    const badParams = der.seq(
      der.seq(der.oid(OID.sha1), der.integer(0)),
      der.octetString(h20),
      der.octetString(k20),
      der.integer(1),
    );
    malformed(() => parseOcspRequest(der.seq(der.seq(der.seq(der.seq(badParams)))), opts));
    const unknownAlg = der.seq(der.seq(der.oid('1.2.3.4')), der.octetString(h20), der.octetString(k20), der.integer(1));
    malformed(() => parseOcspRequest(der.seq(der.seq(der.seq(der.seq(unknownAlg)))), opts), /hash algorithm/);
  });

  it('refuses trailing bytes, non-DER lengths, non-Buffers and oversized input before parsing', () => {
    const ok = buildRequest({ certIds: [id()] });
    malformed(() => parseOcspRequest(Buffer.concat([ok, Buffer.from([0])]), opts));
    const longForm = Buffer.from([0x30, 0x81, ok.length - 2, ...ok.subarray(2)]);
    malformed(() => parseOcspRequest(longForm, opts));
    malformed(() => parseOcspRequest('MEUw' as unknown as Buffer, opts));
    malformed(() => parseOcspRequest(Buffer.alloc(OCSP_MAX_REQUEST_BYTES + 1, 0x30), opts), /larger/);
  });

  it('property: random bytes and mutated requests parse or throw ERR_OCSP_MALFORMED, never anything else', () => {
    const base = buildRequest({
      certIds: [id(0x1234n), id(0x99n, { hashAlg: 'sha256', nameHash: Buffer.alloc(32), keyHash: Buffer.alloc(32) })],
      nonce: randomBytes(16),
      signed: true,
    });
    const check = (b: Buffer) => {
      try {
        const r = parseOcspRequest(b, opts);
        assert.ok(r.certIds.length >= 1 && r.certIds.length <= 10);
      } catch (e) {
        if (!isAppError(e, 'ERR_OCSP_MALFORMED')) throw e;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (a) => check(Buffer.from(a))),
      { numRuns: 3000 },
    );
    const mutation = fc.record({
      at: fc.nat({ max: base.length - 1 }),
      byte: fc.integer({ min: 0, max: 255 }),
      op: fc.constantFrom('flip', 'cut', 'insert', 'delete'),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        let b = Buffer.from(base);
        for (const m of ms) {
          const at = m.at % Math.max(1, b.length);
          if (m.op === 'flip') b[at] = m.byte;
          else if (m.op === 'cut') b = b.subarray(0, at);
          else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
          else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        }
        check(b);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('decodeGetPath', () => {
  const req = buildRequest({ certIds: [id(0xfbfffen)], nonce: Buffer.from('fb/ff+fe??>>>~~~') });
  const b64 = req.toString('base64');

  it('decodes plain, %-encoded (upper and lower case), raw + and / and unpadded base64', () => {
    assert.ok(b64.includes('/') || b64.includes('+') || b64.endsWith('='), 'fixture should exercise the quirks');
    const variants = [
      b64,
      encodeURIComponent(b64),
      encodeURIComponent(b64).replace(/%([0-9A-F]{2})/g, (_m, x: string) => '%' + x.toLowerCase()),
      b64.replace(/=+$/, ''),
      '/' + b64,
      '//' + encodeURIComponent(b64),
      b64.replace(/\+/g, '-').replace(/\//g, '_'),
      b64.replace(/\+/g, '%20'),
    ];
    for (const v of variants) assert.deepEqual(decodeGetPath(v), req, v);
  });

  it('refuses empty, non-base64, bad percent escapes and bad padding', () => {
    for (const bad of ['', '/', 'M', 'MEU*', '%E0%A4%A', 'MEUw%', 'MEUw===', 'ME=w']) {
      assert.throws(
        () => decodeGetPath(bad),
        (e: unknown) => isAppError(e, 'ERR_OCSP_MALFORMED'),
        bad,
      );
    }
    assert.throws(
      () => decodeGetPath('A'.repeat(300_000)),
      (e: unknown) => isAppError(e, 'ERR_OCSP_MALFORMED'),
    );
  });

  it('property: any path string decodes or throws ERR_OCSP_MALFORMED', () => {
    const chars = fc.constantFrom(...'ABCMabz019+/=%-_ 2Ff.?#'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: chars, maxLength: 200 })), (s) => {
        try {
          const b = decodeGetPath(s);
          assert.ok(Buffer.isBuffer(b) && b.length > 0);
          parseOcspRequest(b, opts);
        } catch (e) {
          if (!isAppError(e, 'ERR_OCSP_MALFORMED')) throw e;
        }
      }),
      { numRuns: 5000 },
    );
  });
});
