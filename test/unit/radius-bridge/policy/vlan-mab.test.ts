/**
 * The VLAN decision for MAB, table-driven: unknown MACs, mab-only and 802.1X-capable devices,
 * lifecycle states, each policy choice.
 */
import { describe } from 'node:test';
import { dev, good, policy, run, type Row } from './rows.ts';

const MAB: Row[] = [
  { name: 'unknown MAC, policy reject', input: { device: null }, allow: false, vlan: null, reasons: ['mac-unknown'] },
  {
    name: 'unknown MAC, policy guest',
    input: { device: null, policy: policy({ unknownMac: 'guest', guestVlan: 50 }) },
    allow: true,
    vlan: 50,
    reasons: ['mac-unknown', 'guest-vlan'],
  },
  {
    name: 'mab-only approved device -> segment VLAN',
    input: { device: dev('approved', { mabOnly: true }) },
    allow: true,
    vlan: 20,
    reasons: ['mab', 'segment:sensors'],
  },
  {
    name: 'mab-only device, policy restricted',
    input: { device: dev('approved', { mabOnly: true }), policy: policy({ mab: 'restricted', restrictedVlan: 66 }) },
    allow: true,
    vlan: 66,
    reasons: ['mab', 'restricted-vlan'],
  },
  {
    name: '802.1X-capable device doing MAB, policy reject',
    input: { device: dev('enrolled') },
    allow: false,
    vlan: null,
    reasons: ['device-not-mab-only'],
  },
  {
    name: '802.1X-capable device doing MAB, policy restricted',
    input: { device: dev('enrolled'), policy: policy({ mabFromEapDevice: 'restricted', restrictedVlan: 66 }) },
    allow: true,
    vlan: 66,
    reasons: ['mab', 'device-not-mab-only', 'restricted-vlan'],
  },
  {
    name: 'mab-only retired',
    input: { device: dev('retired', { mabOnly: true }) },
    allow: false,
    vlan: null,
    reasons: ['device-retired'],
  },
  {
    name: 'mab-only quarantined, policy reject',
    input: { device: dev('quarantined', { mabOnly: true }) },
    allow: false,
    vlan: null,
    reasons: ['device-quarantined'],
  },
  {
    name: 'mab-only quarantined, policy vlan',
    input: {
      device: dev('quarantined', { mabOnly: true }),
      policy: policy({ quarantine: 'vlan', quarantineVlan: 999 }),
    },
    allow: true,
    vlan: 999,
    reasons: ['device-quarantined', 'quarantine-vlan'],
  },
  {
    name: 'mab-only registered',
    input: { device: dev('registered', { mabOnly: true }) },
    allow: false,
    vlan: null,
    reasons: ['device-not-approved'],
  },
  {
    name: 'mab-only, segment missing',
    input: { device: dev('approved', { mabOnly: true }), segment: null },
    allow: false,
    vlan: null,
    reasons: ['segment-unknown'],
  },
  {
    name: 'certificate facts are ignored for MAB',
    input: { device: dev('approved', { mabOnly: true }), cert: { ...good, status: 'revoked' } },
    allow: true,
    vlan: 20,
    reasons: ['mab', 'segment:sensors'],
  },
];

describe('VLAN decision: MAB', () => run('mab', MAB));
