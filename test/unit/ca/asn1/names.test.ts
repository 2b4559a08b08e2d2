/**
 * Names: DN encoding order and string types (RFC 5280 §4.1.2.4, App. A), control characters,
 * GeneralNames (RFC 5280 §4.2.1.6) incl. IPv6, and RFC 4514 display strings; cross-checked with
 * @peculiar/x509 and openssl.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import * as der from '../../../../ca/asn1/index.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { requireTool } from '../../../helpers/tools.ts';

const badInput = (f: () => unknown): void => assert.throws(f, (e) => isAppError(e, 'ERR_BAD_INPUT'));

describe('encodeName', () => {
  const subject: der.Subject = {
    commonName: 'dev-1',
    organization: 'Acme, Inc.',
    organizationalUnit: 'Fleet',
    country: 'FR',
    state: 'Île-de-France',
    locality: 'Paris',
    serialNumber: 'SN 42',
    domainComponent: ['example', 'com'],
  };

  it('uses the fixed order and string types', () => {
    const b = der.encodeName(subject);
    assert.equal(
      der.formatName(b),
      'serialNumber=SN 42,CN=dev-1,OU=Fleet,O=Acme\\, Inc.,L=Paris,ST=Île-de-France,C=FR,DC=com,DC=example',
    );
    const rdns = der.children(b, der.parseDerExact(b), 0x30).map((r) => {
      const [atv] = der.children(b, r, 0x31);
      const [type, value] = der.children(b, atv!, 0x30);
      return [der.readOid(b, type!), value!.id];
    });
    assert.deepEqual(rdns, [
      [der.OID.domainComponent, 0x16],
      [der.OID.domainComponent, 0x16],
      [der.OID.countryName, 0x13],
      [der.OID.stateOrProvinceName, 0x0c],
      [der.OID.localityName, 0x0c],
      [der.OID.organizationName, 0x0c],
      [der.OID.organizationalUnitName, 0x0c],
      [der.OID.commonName, 0x0c],
      [der.OID.serialNumber, 0x13],
    ]);
  });

  it('agrees with @peculiar/x509 and openssl', (t) => {
    const b = der.encodeName({ commonName: 'dev-1', organization: 'Acme', country: 'FR' });
    assert.equal(new x509.Name(b).toString(), 'C=FR, O=Acme, CN=dev-1');
    const openssl = requireTool(t, 'openssl', 'openssl');
    if (!openssl) return;
    const file = join(mkdtempSync(join(tmpdir(), 'name-')), 'n.der');
    writeFileSync(file, b);
    const out = execFileSync(openssl, ['asn1parse', '-inform', 'DER', '-in', file], { encoding: 'utf8' });
    assert.match(out, /countryName\n.*PRINTABLESTRING\s+:FR/);
    assert.match(out, /commonName\n.*UTF8STRING\s+:dev-1/);
  });

  it('encodes an empty subject as an empty SEQUENCE', () => {
    assert.equal(der.encodeName({}).toString('hex'), '3000');
  });

  it('rejects control characters, blanks, unknown keys and overlong values', () => {
    for (const bad of ['a\u0000b', 'a\nb', 'a\rb', 'x\u007f', 'x\u0085', 'x\u009f', 'x\u202e', 'x\u2028', 'x\uD800']) {
      badInput(() => der.encodeName({ commonName: bad }));
    }
    badInput(() => der.encodeName({ commonName: '' }));
    badInput(() => der.encodeName({ organization: '   ' }));
    badInput(() => der.encodeName({ country: 'fr' }));
    badInput(() => der.encodeName({ country: 'FRA' }));
    badInput(() => der.encodeName({ serialNumber: 'a@b' }));
    badInput(() => der.encodeName({ commonName: 'x'.repeat(65) }));
    badInput(() => der.encodeName({ domainComponent: ['-bad'] }));
    badInput(() => der.encodeName({ cn: 'typo' } as der.Subject));
    assert.ok(der.encodeName({ commonName: 'é'.repeat(64) }));
  });
});

describe('GeneralNames', () => {
  it('encodes dns, ip, email and uri with the right tags', () => {
    const b = der.encodeGeneralNames({
      dns: ['dev-1.example.com', '*.example.com'],
      ip: ['192.0.2.1', '2001:db8::1'],
      email: ['ops@example.com'],
      uri: ['spiffe://example.org/device/1'],
    });
    const names = der.children(b, der.parseDerExact(b), 0x30).map((n) => [n.id, der.contentOf(b, n).toString('hex')]);
    assert.deepEqual(names, [
      [0x82, Buffer.from('dev-1.example.com').toString('hex')],
      [0x82, Buffer.from('*.example.com').toString('hex')],
      [0x87, 'c0000201'],
      [0x87, '20010db8000000000000000000000001'],
      [0x81, Buffer.from('ops@example.com').toString('hex')],
      [0x86, Buffer.from('spiffe://example.org/device/1').toString('hex')],
    ]);
    const ext = { names: new x509.GeneralNames(b) };
    assert.deepEqual(
      ext.names.items.map((n) => `${n.type}:${n.value}`),
      [
        'dns:dev-1.example.com',
        'dns:*.example.com',
        'ip:192.0.2.1',
        'ip:2001:db8::1',
        'email:ops@example.com',
        'url:spiffe://example.org/device/1',
      ],
    );
  });

  it('parses IPv6 forms', () => {
    const v6 = (s: string): string => der.ipToBytes(s).toString('hex');
    assert.equal(v6('::'), '0'.repeat(32));
    assert.equal(v6('::1'), '0'.repeat(31) + '1');
    assert.equal(v6('fe80::'), 'fe80' + '0'.repeat(28));
    assert.equal(v6('2001:DB8:0:0:8:800:200C:417A'), '20010db80000000000080800200c417a');
    assert.equal(v6('::ffff:192.0.2.128'), '00000000000000000000ffffc0000280');
    assert.equal(v6('1:2:3:4:5:6:7::'), '00010002000300040005000600070000');
    for (const bad of [
      'fe80::1%eth0',
      '1::2::3',
      '12345::',
      '1:2:3:4:5:6:7:8:9',
      '::ffff:1.2.3',
      '01.2.3.4',
      '1.2.3.256',
      '1.2.3',
      ' 1.2.3.4',
      'localhost',
      '',
    ])
      badInput(() => der.ipToBytes(bad));
  });

  it('rejects bad DNS names, emails, URIs, duplicates and empty input', () => {
    const bad: der.SanInput[] = [
      { dns: ['-a.example.com'] },
      { dns: ['a-.example.com'] },
      { dns: ['a..b'] },
      { dns: ['example.com.'] },
      { dns: ['a_b.example.com'] },
      { dns: ['ex ample.com'] },
      { dns: ['*'] },
      { dns: ['a.*.example.com'] },
      { dns: ['*a.example.com'] },
      { dns: ['x'.repeat(64) + '.com'] },
      { dns: ['é.example.com'] },
      { dns: ['a\n.com'] },
      { dns: [`${'a'.repeat(63)}.`.repeat(4) + 'com'] },
      { email: ['@example.com'] },
      { email: ['ops@'] },
      { email: ['ops'] },
      { email: ['o ps@example.com'] },
      { email: ['a..b@example.com'] },
      { email: ['ops@*.example.com'] },
      { uri: ['/relative/path'] },
      { uri: ['http://'] },
      { uri: ['http://ex ample.com/'] },
      { uri: ['http://x/%zz'] },
      { uri: ['https://example.com/\u0000'] },
      { uri: ['file:///etc/passwd'] },
      { uri: ['http:'] },
      { dns: ['a.example.com', 'a.example.com'] },
      {},
      { dns: [] },
      { dn: ['x'] } as der.SanInput,
    ];
    for (const san of bad) badInput(() => der.encodeGeneralNames(san));
    assert.ok(der.encodeGeneralNames({ uri: ['urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6'] }));
    assert.ok(der.encodeGeneralNames({ dns: ['xn--bcher-kva.example', 'localhost', '1.example'] }));
  });
});

describe('formatName (RFC 4514)', () => {
  const atv = (type: string, value: Buffer): Buffer => der.set(der.seq(der.oid(type), value));

  it('escapes specials, leading/trailing spaces and controls', () => {
    const b = der.seq(
      atv(der.OID.commonName, der.utf8String(' #a+b,c;d<e>f"g\\h ')),
      atv(der.OID.organizationName, der.utf8String('line\nbreak\u202e')),
    );
    assert.equal(der.formatName(b), 'O=line\\0abreak\\e2\\80\\ae,CN=\\ #a\\+b\\,c\\;d\\<e\\>f\\"g\\\\h\\ ');
  });

  it('shows multi-valued RDNs, unknown types and non-string values as #hex', () => {
    const rdn = der.set(
      der.seq(der.oid(der.OID.commonName), der.utf8String('a')),
      der.seq(der.oid(der.OID.organizationalUnitName), der.utf8String('b')),
    );
    const b = der.seq(rdn, atv('1.2.3.4', der.utf8String('x')), atv(der.OID.commonName, der.integer(5)));
    assert.equal(der.formatName(b), 'CN=#020105,1.2.3.4=#0c0178,CN=a+OU=b');
    const printableStar = der.seq(atv(der.OID.commonName, der.tlv(0x13, Buffer.from('*.x'))));
    assert.equal(der.formatName(printableStar), 'CN=#13032a2e78');
  });

  it('rejects malformed Names', () => {
    const malformed = (b: Buffer): void =>
      assert.throws(
        () => der.formatName(b),
        (e) => isAppError(e, 'ERR_DER_MALFORMED'),
      );
    malformed(der.seq(der.set()));
    malformed(der.seq(der.seq(der.seq(der.oid('2.5.4.3'), der.utf8String('a')))));
    malformed(der.seq(der.set(der.seq(der.oid('2.5.4.3')))));
    malformed(Buffer.from('3000ff', 'hex'));
  });
});
