/**
 * The VLAN decision for EAP-TLS, table-driven: every row is (device, segment, certificate, NAS,
 * policy) -> (allow, vlan, reasons). Fail-closed rows come first; then totality over every
 * combination of state, method, certificate status and policy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceFacts } from '../../../../radius-bridge/index.ts';
import { vlanDecision } from '../../../../radius-bridge/index.ts';
import { dev, good, nas, policy, run, seg, type Row } from './rows.ts';

const EAP: Row[] = [
  {
    name: 'enrolled device, good cert',
    input: { device: dev('enrolled') },
    allow: true,
    vlan: 20,
    reasons: ['eap-tls', 'segment:sensors'],
  },
  {
    name: 'approved device, good cert',
    input: { device: dev('approved') },
    allow: true,
    vlan: 20,
    reasons: ['eap-tls', 'segment:sensors'],
  },
  {
    name: 'no certificate facts',
    input: { cert: null, device: dev('enrolled') },
    allow: false,
    vlan: null,
    reasons: ['cert-missing'],
  },
  {
    name: 'revoked certificate',
    input: { cert: { ...good, status: 'revoked' }, device: dev('enrolled') },
    allow: false,
    vlan: null,
    reasons: ['cert-revoked'],
  },
  {
    name: 'unknown certificate status',
    input: { cert: { ...good, status: 'unknown' }, device: dev('enrolled') },
    allow: false,
    vlan: null,
    reasons: ['cert-unknown'],
  },
  {
    name: 'certificate without device SAN',
    input: { cert: { ...good, sanDeviceId: null }, device: dev('enrolled') },
    allow: false,
    vlan: null,
    reasons: ['cert-no-device'],
  },
  {
    name: 'SAN and CA record disagree',
    input: { cert: { ...good, recordDeviceId: 'd2' }, device: dev('enrolled') },
    allow: false,
    vlan: null,
    reasons: ['cert-device-mismatch'],
  },
  { name: 'device not in inventory', input: { device: null }, allow: false, vlan: null, reasons: ['device-unknown'] },
  {
    name: 'inventory returned another device',
    input: { device: dev('enrolled', { id: 'd2' }) },
    allow: false,
    vlan: null,
    reasons: ['cert-device-mismatch'],
  },
  { name: 'retired device', input: { device: dev('retired') }, allow: false, vlan: null, reasons: ['device-retired'] },
  {
    name: 'quarantined, policy reject',
    input: { device: dev('quarantined') },
    allow: false,
    vlan: null,
    reasons: ['device-quarantined'],
  },
  {
    name: 'quarantined, policy vlan',
    input: { device: dev('quarantined'), policy: policy({ quarantine: 'vlan', quarantineVlan: 999 }) },
    allow: true,
    vlan: 999,
    reasons: ['device-quarantined', 'quarantine-vlan'],
  },
  {
    name: 'quarantined, policy vlan without a VLAN',
    input: { device: dev('quarantined'), policy: policy({ quarantine: 'vlan' }) },
    allow: false,
    vlan: null,
    reasons: ['device-quarantined', 'quarantine-vlan', 'vlan-not-configured'],
  },
  {
    name: 'registered (not approved)',
    input: { device: dev('registered') },
    allow: false,
    vlan: null,
    reasons: ['device-not-approved'],
  },
  {
    name: 'segment missing',
    input: { device: dev('enrolled'), segment: null },
    allow: false,
    vlan: null,
    reasons: ['segment-unknown'],
  },
  {
    name: 'segment of another name',
    input: { device: dev('enrolled'), segment: { name: 'cameras', vlanId: 30 } },
    allow: false,
    vlan: null,
    reasons: ['segment-unknown'],
  },
  {
    name: 'NAS limited to other segments',
    input: { device: dev('enrolled'), nas: { name: 'sw2', segments: new Set(['cameras']) } },
    allow: false,
    vlan: null,
    reasons: ['segment-not-allowed-on-nas'],
  },
  {
    name: 'NAS allowing the segment',
    input: { device: dev('enrolled'), nas: { name: 'sw2', segments: new Set(['sensors']) } },
    allow: true,
    vlan: 20,
    reasons: ['eap-tls', 'segment:sensors'],
  },
  {
    name: 'mab-only device doing EAP-TLS',
    input: { device: dev('enrolled', { mabOnly: true }) },
    allow: true,
    vlan: 20,
    reasons: ['eap-tls', 'segment:sensors'],
  },
];

describe('VLAN decision: EAP-TLS', () => run('eap-tls', EAP));
describe('VLAN decision: totality', () => {
  it('every combination of state, method and policy yields allow with a VLAN 1..4094 or a denial with reasons', () => {
    const states: DeviceFacts['state'][] = ['registered', 'approved', 'enrolled', 'quarantined', 'retired'];
    const policies = [
      policy(),
      policy({
        quarantine: 'vlan',
        quarantineVlan: 9,
        unknownMac: 'guest',
        guestVlan: 8,
        mab: 'restricted',
        mabFromEapDevice: 'restricted',
        restrictedVlan: 7,
      }),
    ];
    for (const method of ['eap-tls', 'mab'] as const)
      for (const p of policies)
        for (const device of [null, ...states.flatMap((s) => [dev(s), dev(s, { mabOnly: true })])])
          for (const status of ['good', 'revoked', 'unknown'] as const) {
            const d = vlanDecision({ method, device, segment: seg, cert: { ...good, status }, nas, policy: p });
            assert.ok(d.reasons.length > 0);
            if (d.allow) assert.ok(d.vlan !== null && d.vlan >= 1 && d.vlan <= 4094);
            else assert.equal(d.vlan, null);
            if (device?.state === 'retired' || (method === 'eap-tls' && status !== 'good'))
              assert.equal(d.allow, false);
          }
  });
});
