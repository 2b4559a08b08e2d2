/**
 * Shared pieces of the table-driven VLAN decision tests: row type, builders, runner.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { radiusSection } from '../../../../platform/config/sections/radius.ts';
import { vlanDecision, type CertFacts, type DeviceFacts, type VlanInput } from '../../../../radius-bridge/index.ts';

export const base = radiusSection.parse({}).policy;
export const policy = (p: Record<string, unknown> = {}) => ({ ...base, ...p });
export const dev = (state: DeviceFacts['state'], extra: Partial<DeviceFacts> = {}): DeviceFacts => ({
  id: 'd1',
  state,
  segment: 'sensors',
  mabOnly: false,
  ...extra,
});
export const good: CertFacts = { status: 'good', sanDeviceId: 'd1', recordDeviceId: 'd1' };
export const seg = { name: 'sensors', vlanId: 20 };
export const nas = { name: 'sw1' };

export interface Row {
  name: string;
  input: Partial<VlanInput>;
  allow: boolean;
  vlan: number | null;
  reasons: string[];
}

export function run(method: 'eap-tls' | 'mab', rows: Row[]): void {
  for (const r of rows) {
    it(r.name, () => {
      const input: VlanInput = {
        method,
        device: null,
        segment: seg,
        cert: method === 'eap-tls' ? good : null,
        nas,
        policy: policy(),
        ...r.input,
      };
      const before = JSON.stringify({ ...input, nas: undefined });
      assert.deepEqual(vlanDecision(input), { allow: r.allow, vlan: r.vlan, reasons: r.reasons });
      assert.equal(JSON.stringify({ ...input, nas: undefined }), before, 'pure: the input is not modified');
    });
  }
}
