/**
 * NAS matching by address and CIDR (most specific first, IPv4/IPv6, IPv4-mapped IPv6), transports,
 * secrets never logged and a warning for short ones.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../../../../platform/log.ts';
import { loadConfig } from '../../../../platform/config/index.ts';
import { NasTable } from '../../../../radius-bridge/server/nas.ts';
import { addressBytes, addressText, parsePrefix, prefixMatches } from '../../../../radius-bridge/server/cidr.ts';

function clients(list: Array<Record<string, unknown>>) {
  return loadConfig({ env: {}, overrides: { radius: { clients: list } } }).radius.clients;
}

const LONG = 'a-secret-of-more-than-16-chars';

describe('CIDR', () => {
  it('parses and matches IPv4, IPv6 and odd prefix lengths', () => {
    const cases: Array<[string, string, boolean]> = [
      ['10.0.0.0/8', '10.255.1.2', true],
      ['10.0.0.0/8', '11.0.0.1', false],
      ['192.168.1.128/25', '192.168.1.200', true],
      ['192.168.1.128/25', '192.168.1.127', false],
      ['192.168.1.5', '192.168.1.5', true],
      ['192.168.1.5', '192.168.1.6', false],
      ['0.0.0.0/0', '8.8.8.8', true],
      ['0.0.0.0/0', '::1', false],
      ['2001:db8::/32', '2001:db8:ffff::1', true],
      ['2001:db8::/33', '2001:db8:8000::1', false],
      ['::1', '::1', true],
      ['10.1.2.3/32', '::ffff:10.1.2.3', true],
      ['fe80::/10', 'fe80::1%eth0', true],
    ];
    for (const [p, a, want] of cases)
      assert.equal(prefixMatches(parsePrefix(p), addressBytes(a)!), want, `${p} ~ ${a}`);
  });

  it('refuses what is not an address or a prefix', () => {
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0/8',
      'host.example',
      '::1/129',
      '10.0.0.0/8/1',
      '10.0.0.0/-1',
      '',
      '1.2.3.4/ 8',
    ]) {
      assert.throws(() => parsePrefix(bad), /not an IP address or CIDR/, bad);
    }
    assert.equal(addressBytes('not-an-ip'), null);
    assert.equal(addressText(addressBytes('2001:db8:0:0:0:0:0:1')!), '2001:db8::1');
  });
});

describe('NasTable', () => {
  it('picks the most specific client, per transport, and caches lookups', () => {
    const t = new NasTable(
      clients([
        { name: 'campus', address: '10.0.0.0/8', secret: { value: LONG } },
        { name: 'core', address: '10.1.0.0/16', secret: { value: LONG } },
        { name: 'sw-exact', address: '10.1.2.3', secret: { value: LONG } },
        { name: 'v6', address: '2001:db8::/48', secret: { value: LONG } },
        { name: 'tls', address: '10.1.2.3', transport: 'radsec' },
      ]),
    );
    assert.equal(t.lookup('10.1.2.3')?.name, 'sw-exact');
    assert.equal(t.lookup('10.1.9.9')?.name, 'core');
    assert.equal(t.lookup('10.9.9.9')?.name, 'campus');
    assert.equal(t.lookup('::ffff:10.9.9.9')?.name, 'campus');
    assert.equal(t.lookup('2001:db8:0:1::5')?.name, 'v6');
    assert.equal(t.lookup('192.0.2.1'), null);
    assert.equal(t.lookup('10.1.2.3', 'radsec')?.name, 'tls');
    assert.equal(t.lookup('10.1.2.4', 'radsec'), null);
    assert.equal(t.lookup('10.1.2.3', 'radsec')?.secret.toString(), 'radsec');
    assert.equal(t.lookup('10.1.2.3'), t.lookup('10.1.2.3'), 'cached object');
    assert.equal(t.lookup('10.1.2.3')?.requireMessageAuthenticator, true, 'BlastRADIUS default');
    assert.equal(t.lookup('10.1.2.3')?.coa.port, 3799);
    assert.equal(t.lookup('10.1.2.3')?.coa.mode, 'disconnect');
  });

  it('warns about short secrets without ever logging one', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const log = createLogger({ level: 'info', destination: sink });
    new NasTable(
      clients([
        { name: 'weak', address: '10.0.0.1', secret: { value: 'short-pw' } },
        { name: 'ok', address: '10.0.0.2', secret: { value: LONG } },
      ]),
      log,
    );
    const text = lines.join('');
    assert.match(text, /NAS weak is shorter than 16/);
    assert.doesNotMatch(text, /NAS ok/);
    assert.ok(!text.includes('short-pw') && !text.includes(LONG));
  });

  it('rejects duplicate names and UDP clients without a secret', () => {
    assert.throws(
      () =>
        new NasTable(
          clients([
            { name: 'a', address: '10.0.0.1', secret: { value: LONG } },
            { name: 'a', address: '10.0.0.2', secret: { value: LONG } },
          ]),
        ),
      /duplicate/,
    );
    assert.throws(() => clients([{ name: 'a', address: '10.0.0.1' }]), /needs a secret/);
    assert.throws(() => clients([{ name: 'a', address: '10.0.0.0/40', secret: { value: LONG } }]), /address/);
  });
});
