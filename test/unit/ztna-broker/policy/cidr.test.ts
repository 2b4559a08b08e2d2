import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, parseCidr, parseIp } from '../../../../ztna-broker/policy/index.ts';

function contains(cidr: string, ip: string, zone = false): boolean {
  const c = parseCidr(cidr);
  assert.ok(c.ok, `${cidr}: ${c.ok ? '' : c.error}`);
  const a = parseIp(ip, zone);
  assert.ok(a, ip);
  return cidrContains(c.cidr, a);
}

describe('CIDR matching', () => {
  const cases: Array<[string, string, boolean]> = [
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '10.0.0.1', true],
    ['::/1', '10.0.0.1', true],
    ['::ffff:0:0/96', '10.0.0.1', true],
    ['::ffff:0:0/96', '2001:db8::1', false],
    ['2001:db8::/32', '10.0.0.1', false],
    ['192.0.2.7', '192.0.2.7', true],
    ['192.0.2.7', '192.0.2.8', false],
    ['2001:db8::/32', '2001:db8::1', true],
    ['2001:db8::/32', '2001:0DB8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db8::/32', '2001:db9::', false],
    ['2001:db8:abcd:12::/64', '2001:db8:abcd:12:0:0:0:1', true],
    ['2001:db8:abcd:12::/64', '2001:db8:abcd:13::1', false],
    ['2001:db8::/127', '2001:db8::1', true],
    ['2001:db8::/127', '2001:db8::2', false],
    ['2001:db8:8000::/33', '2001:db8:8000::1', true],
    ['2001:db8:8000::/33', '2001:db8:7fff::1', false],
    ['2001:db8::5/128', '2001:db8:0:0:0:0:0:5', true],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['::1/128', '0:0:0:0:0:0:0:1', true],
    ['64:ff9b::/96', '64:ff9b::192.0.2.33', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '11.1.2.3', false],
  ];
  for (const [cidr, ip, expected] of cases)
    it(`${cidr} ∋ ${ip} = ${expected}`, () => assert.equal(contains(cidr, ip), expected));

  it('drops a zone id on source addresses only', () => {
    assert.equal(contains('fe80::/10', 'fe80::1%eth0', true), true);
    assert.equal(parseIp('fe80::1%eth0'), null);
    assert.equal(parseIp('10.0.0.1%eth0', true), null);
  });
});

describe('CIDR and address parsing refuses', () => {
  const bad = [
    '',
    '10.0.0.0/',
    '10.0.0.0/33',
    '10.0.0.0/08',
    '10.0.0/8',
    '10.0.0.0.0/8',
    '256.0.0.0/8',
    '010.0.0.0/8',
    '10.0.0.1/8',
    '1.2.3.4/-1',
    '2001:db8::/129',
    '2001:db8::1/32',
    '2001:db8:::/32',
    ':::/0',
    '1:2:3:4:5:6:7:8:9/128',
    '1::2::3/128',
    '12345::/16',
    'g::/16',
    '::ffff:1.2.3/128',
    '1.2.3.4::/64',
    'fe80::%1/64',
    ' 10.0.0.0/8',
    '10.0.0.0/8 ',
    '0x0a.0.0.0/8',
    '10.0.0.0/8/8',
  ];
  for (const text of bad) it(JSON.stringify(text), () => assert.equal(parseCidr(text).ok, false));
});
