/**
 * platform/config/sections/radius.ts: defaults (ports 1812/1813/2083, fail-closed policy,
 * Message-Authenticator required), secret references resolved from file/env, refinements.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../../platform/config/index.ts';

const load = (radius: Record<string, unknown>, env: Record<string, string> = {}) =>
  loadConfig({ env, overrides: { radius } }).radius;

describe('radius config section', () => {
  it('has safe defaults', () => {
    const r = load({});
    assert.equal(r.enabled, false);
    assert.deepEqual([r.authPort, r.acctPort, r.radsec.port], [1812, 1813, 2083]);
    assert.deepEqual(r.hosts, ['127.0.0.1', '::1']);
    assert.equal(r.radsec.enabled, false);
    assert.deepEqual(r.clients, []);
    assert.equal(r.policy.quarantine, 'reject');
    assert.equal(r.policy.unknownMac, 'reject');
    assert.equal(r.policy.mab, 'segment');
    assert.equal(r.policy.mabFromEapDevice, 'reject');
    assert.equal(r.eap.maxSessions, 4096);
    assert.equal(r.coa.retries, 3);
  });

  it('resolves NAS secrets from a file or the environment and never prints them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-radius-cfg-'));
    writeFileSync(join(dir, 'sw1.secret'), 'from-a-file-0123456789\n');
    const r = load(
      {
        clients: [
          { name: 'sw1', address: '10.0.0.0/24', secret: { file: join(dir, 'sw1.secret') } },
          {
            name: 'sw2',
            address: '2001:db8::/64',
            secret: { env: 'SW2_SECRET' },
            requireMessageAuthenticator: false,
            coa: { mode: 'coa-reauth', port: 1700 },
          },
        ],
      },
      { SW2_SECRET: 'from-the-environment-42' },
    );
    assert.equal(r.clients[0]!.secret!.reveal(), 'from-a-file-0123456789');
    assert.equal(r.clients[1]!.secret!.reveal(), 'from-the-environment-42');
    assert.equal(r.clients[0]!.requireMessageAuthenticator, true);
    assert.equal(r.clients[1]!.requireMessageAuthenticator, false);
    assert.deepEqual({ ...r.clients[1]!.coa }, { mode: 'coa-reauth', port: 1700 });
    const printed = JSON.stringify(r);
    assert.ok(!printed.includes('from-a-file') && !printed.includes('from-the-environment'));
  });

  it('refuses incomplete policies and bad clients, naming the key', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ policy: { quarantine: 'vlan' } }, /quarantineVlan/],
      [{ policy: { unknownMac: 'guest' } }, /guestVlan/],
      [{ policy: { mab: 'restricted' } }, /restrictedVlan/],
      [{ policy: { guestVlan: 4095, unknownMac: 'guest' } }, /guestVlan/],
      [{ clients: [{ name: 'x', address: '10.0.0.1' }] }, /secret/],
      [{ clients: [{ name: 'x', address: 'switch.example', secret: { value: 'v' } }] }, /address/],
      [{ clients: [{ name: 'x', address: '10.0.0.1', secret: { value: 'v' }, coa: { mode: 'kick' } }] }, /coa\.mode/],
      [{ hosts: ['0.0.0.0/0'] }, /hosts/],
      [{ authPort: 70000 }, /authPort/],
      [{ surprise: 1 }, /surprise|Unrecognized/],
    ];
    for (const [cfg, re] of bad) assert.throws(() => load(cfg), re, JSON.stringify(cfg));
  });

  it('a RadSec client needs no secret', () => {
    const r = load({ clients: [{ name: 'tls', address: '127.0.0.1', transport: 'radsec', certName: 'nas-1' }] });
    assert.equal(r.clients[0]!.secret, undefined);
  });
});
