/**
 * Reply attributes (RFC 3580 §3.31, RFC 2868): the wire-form attributes the bridge precomputes
 * encode to exactly the octets the codec produces from the named attributes, and read back as
 * VLAN 13 / IEEE-802 6 / the VLAN id with tag 0.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePacket, encodePacket } from '../../../../radius-bridge/codec/index.ts';
import { acceptAttributes, deviceIdFromClass, vlanAttributes } from '../../../../radius-bridge/policy/vlan.ts';

const auth = Buffer.alloc(16, 0x42);
const enc = (attributes: Parameters<typeof encodePacket>[0]['attributes']) =>
  encodePacket({ code: 'Access-Accept', identifier: 9, attributes }, 'secret-secret-secret', {
    requestAuthenticator: auth,
  });

describe('reply attributes', () => {
  for (const vlan of [1, 20, 4094]) {
    it(`VLAN ${vlan}: raw equals named, byte for byte`, () => {
      const named = enc([
        { name: 'Tunnel-Type', value: 'VLAN', tag: 0 },
        { name: 'Tunnel-Medium-Type', value: 'IEEE-802', tag: 0 },
        { name: 'Tunnel-Private-Group-Id', value: String(vlan), tag: 0 },
        { name: 'User-Name', value: 'dev-1' },
        { name: 'Class', value: 'gatehouse:dev-1' },
      ]);
      assert.deepEqual(enc(acceptAttributes(vlan, 'dev-1')), named);
      const d = decodePacket(named);
      assert.equal(d.getInt('Tunnel-Type'), 13);
      assert.equal(d.getInt('Tunnel-Medium-Type'), 6);
      assert.equal(d.getString('Tunnel-Private-Group-Id'), String(vlan));
      assert.equal(d.find('Tunnel-Private-Group-Id')?.tag, 0);
    });
  }

  it('guest accept carries only the VLAN; shared arrays are frozen; Class parses back', () => {
    assert.equal(acceptAttributes(50, null).length, 3);
    assert.ok(Object.isFrozen(vlanAttributes(50)));
    assert.equal(deviceIdFromClass(Buffer.from('gatehouse:cam-7')), 'cam-7');
    assert.equal(deviceIdFromClass(Buffer.from('gatehouse:')), null);
    assert.equal(deviceIdFromClass(Buffer.from('other')), null);
    assert.equal(deviceIdFromClass(undefined), null);
  });
});
