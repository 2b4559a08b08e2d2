/**
 * eapol_test (wpa_supplicant's RADIUS test client, Debian eapoltest) against the bridge:
 * EAP-TLS over TLS 1.2 and 1.3, client fragmentation (fragment_size=300) with an RSA-4096
 * certificate, MPPE keys checked by eapol_test, the VLAN read from its dump of the Accept;
 * revoked, retired and quarantined devices per policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { requireTool } from '../helpers/tools.ts';
import { radiusFixture, SECRET, type Enrolled, type RadiusFixture } from '../integration/radius-fixture.ts';
import { eapolConf, parseEapol, run, type EapolOptions, type EapolOutcome } from './radius-tools.ts';

let f: RadiusFixture;
let q: RadiusFixture;
before(async () => {
  f = await radiusFixture();
  q = await radiusFixture({ policy: { quarantine: 'vlan', quarantineVlan: 666 } });
});
after(async () => {
  await f.close();
  await q.close();
});

async function eapol(
  t: TestContext,
  fx: RadiusFixture,
  d: Enrolled,
  o: EapolOptions = {},
): Promise<EapolOutcome | null> {
  const bin = requireTool(t, 'eapol_test', 'eapoltest');
  if (!bin) return null;
  const conf = eapolConf(fx.t.dir, d.id, { ca: fx.caFile, cert: d.certFile, key: d.keyFile }, o);
  const r = await run(bin, [
    '-c',
    conf,
    '-a',
    '127.0.0.1',
    '-p',
    String(fx.authPort),
    '-s',
    SECRET,
    '-r',
    '0',
    '-t',
    '15',
    '-M',
    '02:00:00:00:aa:01',
    '-N',
    '61:d:15',
  ]);
  return parseEapol(r);
}

describe('eapol_test EAP-TLS', () => {
  for (const tls13 of [false, true]) {
    const version = tls13 ? 'TLSv1.3' : 'TLSv1.2';
    it(`${version}: SUCCESS, MPPE keys OK and the segment VLAN`, async (t) => {
      const d = await f.enroll(`eapol-${tls13 ? 13 : 12}`, { segment: 'cameras' });
      const r = await eapol(t, f, d, { tls13 });
      if (!r) return;
      assert.ok(r.success, r.out.slice(-3000));
      assert.ok(r.mppeOk, 'MPPE keys OK: 1  mismatch: 0');
      assert.equal(r.tlsVersion, version);
      assert.equal(r.vlan, '30');
    });

    it(`${version}: fragment_size=300 with an RSA-4096 client certificate`, async (t) => {
      const d = await f.enroll(`eapol-rsa-${tls13 ? 13 : 12}`, { alg: 'RSA-4096' });
      const r = await eapol(t, f, d, { tls13, fragmentSize: 300 });
      if (!r) return;
      assert.ok(r.success, r.out.slice(-3000));
      assert.ok(r.mppeOk);
      assert.equal(r.tlsVersion, version);
      assert.equal(r.vlan, '20');
      assert.ok(
        (r.out.match(/sending 300 bytes, more fragments will follow/g) ?? []).length >= 5,
        'the client fragmented its flights',
      );
    });
  }

  it('revoked certificate -> FAILURE', async (t) => {
    const d = await f.enroll('eapol-revoked');
    await f.pki.ca.revoke(d.serial, 'keyCompromise', { actor: 'test' });
    const r = await eapol(t, f, d, { tls13: true });
    if (!r) return;
    assert.equal(r.success, false);
    assert.match(r.out, /^FAILURE$/m);
    assert.equal(r.vlan, undefined);
  });

  it('retired device -> FAILURE', async (t) => {
    const d = await f.enroll('eapol-retired');
    await f.inventory.transition(d.id, 'retired', 'test');
    const r = await eapol(t, f, d);
    if (!r) return;
    assert.equal(r.success, false);
    assert.match(r.out, /^FAILURE$/m);
  });

  it('quarantined device -> FAILURE under the reject policy, the quarantine VLAN under the vlan policy', async (t) => {
    const d = await f.enroll('eapol-quarantined');
    await f.inventory.quarantine(d.id, 'test', 'anomaly');
    const r = await eapol(t, f, d);
    if (!r) return;
    assert.equal(r.success, false);
    const dq = await q.enroll('eapol-quarantined');
    await q.inventory.quarantine(dq.id, 'test', 'anomaly');
    const rq = await eapol(t, q, dq, { tls13: true });
    assert.ok(rq?.success, rq?.out.slice(-2000));
    assert.equal(rq?.vlan, '666');
  });
});
