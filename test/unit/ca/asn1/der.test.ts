/**
 * DER writer/reader and PEM: exact encodings (X.690 §8, §10, §11), RFC 5280 §4.1.2.5 times,
 * cross-checked against asn1js and `openssl asn1parse`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as der from '../../../../ca/asn1/index.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { requireTool } from '../../../helpers/tools.ts';

const hex = (b: Buffer): string => b.toString('hex');
const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const malformed = (f: () => unknown): void => assert.throws(f, (e) => isAppError(e, 'ERR_DER_MALFORMED'));
const badInput = (f: () => unknown): void => assert.throws(f, (e) => isAppError(e, 'ERR_BAD_INPUT'));
const top = (b: Buffer): der.Tlv => der.parseDerExact(b);

describe('der-writer', () => {
  it('encodes lengths minimally', () => {
    // prettier-ignore
    const cases: [number, string][] = [[0, '00'], [127, '7f'], [128, '8180'], [255, '81ff'], [256, '820100'], [65536, '83010000']];
    for (const [n, e] of cases) assert.equal(hex(der.encodeLength(n)), e);
    assert.equal(der.tlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex'), '0481c8');
  });

  it('encodes INTEGER minimally, positive magnitudes with a 0x00 when the top bit is set', () => {
    // prettier-ignore
    const cases: [bigint | number | Buffer, string][] = [
      [0, '020100'], [127, '02017f'], [128, '02020080'], [256, '02020100'], [-1, '0201ff'], [-128, '020180'],
      [-129, '0202ff7f'], [0n, '020100'], [Buffer.alloc(0), '020100'], [h('000001'), '020101'], [h('80'), '02020080'],
      [h('0000ff'), '020200ff'], [2n ** 64n, '0209010000000000000000'],
    ];
    for (const [v, e] of cases) assert.equal(hex(der.integer(v)), e, String(v));
    const serial = Buffer.alloc(20, 0xff); // 20-byte serial with the top bit set: 21 content octets
    const enc = der.integer(serial);
    assert.equal(enc[1], 21);
    assert.equal(hex(der.readUnsigned(enc, top(enc))), hex(serial));
    badInput(() => der.integer(2 ** 60));
  });

  it('encodes OIDs and caches them', () => {
    assert.equal(hex(der.oid('1.2.840.113549.1.1.11')), '06092a864886f70d01010b');
    assert.equal(hex(der.oid('2.999.3')), '0603883703');
    assert.equal(hex(der.oid('0.9.2342.19200300.100.1.25')), '060a0992268993f22c640119');
    assert.equal(der.oid('2.5.29.19'), der.oid('2.5.29.19'));
    const uuidArc = '2.25.329800735698586629295641978511506172918';
    assert.equal(der.readOid(der.oid(uuidArc), top(der.oid(uuidArc))), uuidArc);
    for (const bad of ['1', '3.1', '1.40', '1.2.', '01.2', '1.02', 'a.b', '']) badInput(() => der.oid(bad));
  });

  it('encodes BOOLEAN, NULL, OCTET STRING, BIT STRING and named bits', () => {
    assert.equal(hex(der.bool(true)), '0101ff');
    assert.equal(hex(der.bool(false)), '010100');
    assert.equal(hex(der.nullDer()), '0500');
    assert.equal(hex(der.octetString(h('0102'))), '04020102');
    assert.equal(hex(der.bitString(h('a0'), 5)), '030205a0');
    badInput(() => der.bitString(h('a1'), 5));
    badInput(() => der.bitString(Buffer.alloc(0), 1));
    assert.equal(hex(der.namedBits([0, 5])), '03020284'); // digitalSignature + keyCertSign
    assert.equal(hex(der.namedBits([5, 6])), '03020106'); // keyCertSign + cRLSign
    assert.equal(hex(der.namedBits([0])), '03020780');
    assert.equal(hex(der.namedBits([8])), '0303070080');
    assert.equal(hex(der.namedBits([])), '030100');
  });

  it('checks string character sets', () => {
    assert.equal(hex(der.printableString('FR')), '13024652');
    badInput(() => der.printableString('a@b'));
    badInput(() => der.printableString('*.x'));
    badInput(() => der.ia5String('é'));
    badInput(() => der.utf8String('a\uD800'));
    assert.equal(hex(der.utf8String('é')), '0c02c3a9');
  });

  it('SET OF is sorted by encoding', () => {
    const s = der.set(der.integer(3), der.integer(1), der.octetString(h('00')));
    assert.equal(hex(s), '3109020101020103040100');
  });

  it('chooses UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    const t = (iso: string): string => der.time(new Date(iso)).toString('latin1');
    assert.equal(t('2049-12-31T23:59:59.999Z'), '\x17\x0d491231235959Z');
    assert.equal(t('2050-01-01T00:00:00Z'), '\x18\x0f20500101000000Z');
    assert.equal(t('1950-01-01T00:00:00Z'), '\x17\x0d500101000000Z');
    assert.equal(t('1949-12-31T23:59:59Z'), '\x18\x0f19491231235959Z');
    assert.equal(der.time(der.NO_WELL_DEFINED_EXPIRATION).toString('latin1'), '\x18\x0f99991231235959Z');
    badInput(() => der.utcTime(new Date('2050-01-01T00:00:00Z')));
    badInput(() => der.time(new Date('nope')));
  });

  it('context tags', () => {
    assert.equal(hex(der.explicit(0, der.integer(2))), 'a003020102');
    assert.equal(hex(der.implicit(1, der.seq(der.integer(1)))), 'a103020101');
    assert.equal(hex(der.implicit(2, der.ia5String('a'))), '820161');
    assert.equal(hex(der.contextPrimitive(6, Buffer.from('u'))), '860175');
    badInput(() => der.explicit(31));
  });
});

describe('der-reader', () => {
  it('reads a TLV with its geometry', () => {
    const b = h('3003020101');
    // prettier-ignore
    assert.deepEqual(der.readTlv(b, 0), { id: 0x30, tag: 16, class: 0, constructed: true, start: 0, headerLen: 2, contentStart: 2, len: 3, end: 5 });
    const [i] = der.children(b, top(b), 0x30);
    assert.equal(der.readInteger(b, i as der.Tlv), 1n);
  });

  it('rejects indefinite, non-minimal, oversize and overrunning lengths', () => {
    // indefinite, non-minimal (2), 5 length octets, overrun, reserved 0xff, truncated, empty
    for (const bad of ['30800000', '048101ff', '04820001ff', '048500000000010000', '0403aabb', '04ff', '04', '']) {
      malformed(() => top(h(bad)));
    }
    malformed(() => der.readTlv(h('0401aa'), 0, 2));
  });

  it('handles high tag numbers, EOC and constructed/primitive mismatches', () => {
    const t = der.readTlv(h('5f1f00'), 0);
    assert.deepEqual([t.class, t.tag, t.len], [1, 31, 0]);
    assert.equal(der.readTlv(h('bf8148 00'), 0).tag, 200);
    // tag 30 in high form, leading 0x80, tag too large, EOC, constructed INTEGER, primitive SEQUENCE,
    // constructed OCTET STRING (BER only)
    for (const bad of ['1f1e00', '1f800100', '1fffffff7f00', '0000', '2203020101', '1000', '2403040100']) {
      malformed(() => top(h(bad)));
    }
  });

  it('parseDerExact rejects trailing data, ill-fitting children and deep nesting', () => {
    malformed(() => top(h('050000')));
    malformed(() => top(h('3003020201'))); // child overruns parent
    let deep = der.nullDer();
    for (let i = 0; i < 40; i++) deep = der.seq(deep);
    malformed(() => top(deep));
    assert.equal(der.parseDerExact(deep, { maxDepth: 64 }).id, 0x30);
    assert.equal(der.parseDerExact(deep, { deep: false }).id, 0x30);
  });

  it('INTEGER, BOOLEAN, NULL, BIT STRING, OID strictness', () => {
    const rd = <T>(f: (b: Buffer, t: der.Tlv) => T, s: string): T => f(h(s), top(h(s)));
    malformed(() => rd(der.readInteger, '0200'));
    malformed(() => rd(der.readInteger, '02020001'));
    malformed(() => rd(der.readInteger, '0202ff80'));
    assert.equal(rd(der.readInteger, '0202ff7f'), -129n);
    assert.equal(rd(der.readInteger, '0209010000000000000000'), 2n ** 64n);
    malformed(() => rd(der.readUnsigned, '0201ff'));
    malformed(() => rd(der.readBoolean, '010101'));
    malformed(() => rd(der.readNull, '050100'));
    for (const bad of ['030208ff', '030101', '030203ff']) malformed(() => rd(der.readBitString, bad));
    assert.deepEqual(rd(der.readBitString, '030203f8').unusedBits, 3);
    for (const bad of ['0600', '0603808101', '06022a86']) malformed(() => rd(der.readOid, bad)); // empty, 0x80, open
    assert.equal(rd(der.readOid, '06032a0300'), '1.2.3.0');
  });

  it('reads strings and rejects bad ones', () => {
    const rs = (b: Buffer): string => der.readString(b, top(b));
    assert.equal(rs(der.utf8String('héllo ✓')), 'héllo ✓');
    assert.equal(rs(h('1e0400e9263a')), 'é☺');
    // bad UTF-8, '@' in PrintableString, 8-bit IA5, odd BMP, lone surrogate in BMP, not a string
    for (const bad of ['0c01ff', '130140', '160180', '1e0100', '1e02d800', '020100']) malformed(() => rs(h(bad)));
  });

  it('reads times strictly', () => {
    const rt = (s: string, tag = 0x18): Date => {
      const b = der.tlv(tag, Buffer.from(s, 'latin1'));
      return der.readTime(b, top(b));
    };
    assert.equal(rt('491231235959Z', 0x17).toISOString(), '2049-12-31T23:59:59.000Z');
    assert.equal(rt('500101000000Z', 0x17).toISOString(), '1950-01-01T00:00:00.000Z');
    assert.equal(rt('99991231235959Z').toISOString(), '9999-12-31T23:59:59.000Z');
    assert.equal(rt('20240229120000.5Z').toISOString(), '2024-02-29T12:00:00.500Z');
    assert.equal(rt('00050101000000Z').getUTCFullYear(), 5);
    // Feb 29 2023, month 13, hour 24, second 60, no seconds, offset, trailing fraction zero, empty fraction, no Z
    // prettier-ignore
    const bad = ['20230229000000Z', '20231301000000Z', '20230101240000Z', '20230101000060Z', '202301010000Z',
      '20230101000000+0100', '20230101000000.50Z', '20230101000000.Z', '20230101000000'];
    for (const s of bad) malformed(() => rt(s));
    malformed(() => rt('4912312359Z', 0x17));
    malformed(() => rt('491231235959.1Z', 0x17));
    for (const d of ['1950-01-01T00:00:00Z', '2049-12-31T23:59:59Z', '2050-01-01T00:00:00Z', '2000-02-29T01:02:03Z']) {
      const b = der.time(new Date(d));
      assert.equal(der.readTime(b, top(b)).toISOString(), new Date(d).toISOString());
    }
  });
});

describe('cross-checks', () => {
  // prettier-ignore
  const sample = (): Buffer => der.seq(
    der.integer(h('ff00000000000000000000000000000000000001')), der.oid('1.2.840.10045.4.3.2'),
    der.utf8String('Gatehouse ✓'), der.utcTime(new Date('2049-12-31T23:59:59Z')),
    der.generalizedTime(new Date('2050-01-01T00:00:00Z')), der.bitString(h('a0'), 5), der.bool(true), der.nullDer(),
    der.explicit(3, der.integer(-129)), der.set(der.printableString('B'), der.printableString('A')),
  );

  it('asn1js parses the writer output to the same values', () => {
    const b = sample();
    const r = asn1js.fromBER(new Uint8Array(b));
    assert.equal(r.offset, b.length);
    const v = (r.result as asn1js.Sequence).valueBlock.value;
    assert.equal((v[0] as asn1js.Integer).toBigInt(), 0xff00000000000000000000000000000000000001n);
    assert.equal((v[1] as asn1js.ObjectIdentifier).getValue(), '1.2.840.10045.4.3.2');
    assert.equal((v[2] as asn1js.Utf8String).getValue(), 'Gatehouse ✓');
    assert.equal((v[3] as asn1js.UTCTime).toDate().toISOString(), '2049-12-31T23:59:59.000Z');
    assert.equal((v[4] as asn1js.GeneralizedTime).toDate().toISOString(), '2050-01-01T00:00:00.000Z');
    assert.equal((v[6] as asn1js.Boolean).getValue(), true);
    assert.ok(v[7] instanceof asn1js.Null);
    assert.equal(Buffer.from(v[8]!.toBER()).toString('hex'), 'a3040202ff7f');
  });

  it('openssl asn1parse agrees', (t) => {
    const openssl = requireTool(t, 'openssl', 'openssl');
    if (!openssl) return;
    const file = join(mkdtempSync(join(tmpdir(), 'der-')), 'x.der');
    writeFileSync(file, sample());
    const out = execFileSync(openssl, ['asn1parse', '-inform', 'DER', '-in', file], { encoding: 'utf8' });
    // prettier-ignore
    for (const re of [/INTEGER\s+:FF00000000000000000000000000000000000001/, /OBJECT\s+:ecdsa-with-SHA256/,
      /UTCTIME\s+:491231235959Z/, /GENERALIZEDTIME\s+:20500101000000Z/, /BOOLEAN\s+:255/, /cont \[ 3 \]/,
      /INTEGER\s+:-81/, /PRINTABLESTRING\s+:A\n.*PRINTABLESTRING\s+:B/]) assert.match(out, re);
    assert.doesNotMatch(out, /error|Error/);
  });
});

describe('pem', () => {
  const body = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  it('writes 64-character lines and reads back', () => {
    const pem = der.toPem('CERTIFICATE', body);
    const lines = pem.trimEnd().split('\n');
    assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
    assert.equal(lines[1]!.length, 64);
    assert.equal(lines.at(-1), '-----END CERTIFICATE-----');
    assert.ok(pem.endsWith('\n'));
    assert.deepEqual(der.fromPem(pem, 'CERTIFICATE'), body);
  });
  it('tolerates CRLF, whitespace and explanatory text; returns all blocks', () => {
    const crlf = 'junk\r\n' + der.toPem('CERTIFICATE', body).replace(/\n/g, '\r\n  ') + der.toPem('X', h('00'));
    assert.deepEqual(der.fromPem(crlf), body);
    assert.deepEqual(der.fromPem(crlf, 'X'), h('00'));
    const all = der.fromPem(crlf, undefined, { all: true });
    assert.deepEqual(all.map((b) => b.label).join(), 'CERTIFICATE,X');
    assert.deepEqual(der.fromPemAll(der.toPem('NEW CERTIFICATE REQUEST', body), 'CERTIFICATE REQUEST')[0]?.der, body);
  });
  it('rejects bad PEM', () => {
    const block = (b64: string, end = 'A'): string => `-----BEGIN A-----\n${b64}\n-----END ${end}-----\n`;
    const bad = [
      'nothing',
      block('AA=A'),
      block('AAA'),
      block('AAAA', 'B'),
      block(''),
      block('Proc-Type: 4,X\n\nAAAA'),
    ];
    for (const text of bad) badInput(() => der.fromPem(text));
    badInput(() => der.fromPem(der.toPem('A', body), 'B'));
    badInput(() => der.toPem('bad--label', body));
  });
});
