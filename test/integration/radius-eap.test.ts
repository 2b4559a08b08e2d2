/**
 * EAP-TLS through the full bridge in-process (RADIUS codec + State table + engine + live checks),
 * with an independent TLS peer: VLAN and MPPE keys in the Accept, fragmentation by Framed-MTU,
 * retransmitted rounds, and every denial path (revoked, quarantined, retired, foreign CA).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { decryptMppeKey } from '../../radius-bridge/codec/index.ts';
import type { RequestContext } from '../../radius-bridge/index.ts';
import { radiusFixture, SECRET, type Enrolled, type RadiusFixture } from './radius-fixture.ts';
import { RadiusEapClient } from './radius-eap-client.ts';

let f: RadiusFixture;
let q: RadiusFixture;
let ctx: RequestContext;
const opts = (fx: RadiusFixture, d: Enrolled, version: tls.SecureVersion = 'TLSv1.3'): tls.ConnectionOptions => ({
  ca: [readFileSync(fx.caFile)],
  key: readFileSync(d.keyFile),
  cert: readFileSync(d.certFile),
  servername: 'radius.gatehouse.local',
  minVersion: version,
  maxVersion: version,
});

before(async () => {
  f = await radiusFixture();
  q = await radiusFixture({ policy: { quarantine: 'vlan', quarantineVlan: 666 } });
  ctx = { nas: f.bridge.nas.lookup('127.0.0.1')!, port: 'auth', source: '127.0.0.1:50000', address: '127.0.0.1' };
});
after(async () => {
  await f.close();
  await q.close();
});

describe('EAP-TLS through the bridge', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: Accept with the segment VLAN, User-Name/Class and MPPE keys equal to the MSK halves`, async () => {
      const d = await f.enroll(`eap-${version}`, { segment: 'cameras' });
      const client = new RadiusEapClient(f.bridge, ctx, SECRET);
      const run = await client.run(opts(f, d, version));
      const a = run.final!;
      assert.equal(a.codeName, 'Access-Accept');
      assert.equal(a.attributes[0]!.type, 80, 'Message-Authenticator first');
      assert.equal(a.getConcatenated('EAP-Message')![0], 3, 'EAP-Success');
      assert.equal(a.getString('Tunnel-Private-Group-Id'), '30');
      assert.equal(a.getInt('Tunnel-Type'), 13);
      assert.equal(a.getInt('Tunnel-Medium-Type'), 6);
      assert.equal(a.getString('User-Name'), d.id);
      assert.equal(a.getString('Class'), `gatehouse:${d.id}`);
      const lastReq = run.log.at(-1)!.request.subarray(4, 20);
      const recv = decryptMppeKey(a.get('MS-MPPE-Recv-Key')!, SECRET, lastReq);
      const send = decryptMppeKey(a.get('MS-MPPE-Send-Key')!, SECRET, lastReq);
      const c = run.peer.client!;
      const km =
        version === 'TLSv1.3'
          ? c.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.from([0x0d]))
          : c.exportKeyingMaterial(128, 'client EAP encryption', undefined as unknown as Buffer);
      assert.deepEqual(recv, km.subarray(0, 32));
      assert.deepEqual(send, km.subarray(32, 64));
      run.peer.destroy();
    });
  }

  it('Framed-MTU 300 and an RSA-4096 client: every Access-Challenge EAP packet fits, client fragments reassembled', async () => {
    const d = await f.enroll('eap-rsa', { alg: 'RSA-4096' });
    const client = new RadiusEapClient(f.bridge, ctx, SECRET);
    const run = await client.run(opts(f, d, 'TLSv1.2'), { framedMtu: 300, fragmentSize: 300 });
    assert.equal(run.final?.codeName, 'Access-Accept');
    for (const e of run.peer.requests) assert.ok(e.length <= 296, `EAP packet of ${e.length} octets`);
    assert.ok(run.rounds > 10);
    run.peer.destroy();
  });

  it('a retransmitted round gets the identical reply and does not advance the session', async () => {
    const d = await f.enroll('eap-retx');
    const client = new RadiusEapClient(f.bridge, { ...ctx, source: '127.0.0.1:50001' }, SECRET);
    const run = await client.run(opts(f, d));
    const before = f.bridge.metrics.dropped.get('unknown-state') ?? 0;
    for (const { request, reply } of run.log)
      assert.deepEqual(await f.bridge.handle(request, { ...ctx, source: '127.0.0.1:50001' }), reply);
    assert.equal(f.bridge.metrics.dropped.get('unknown-state') ?? 0, before);
    run.peer.destroy();
  });

  it('revoked certificate -> Access-Reject with EAP-Failure', async () => {
    const d = await f.enroll('eap-revoked');
    await f.pki.ca.revoke(d.serial, 'keyCompromise', { actor: 'test' });
    const run = await new RadiusEapClient(f.bridge, ctx, SECRET).run(opts(f, d));
    assert.equal(run.final?.codeName, 'Access-Reject');
    assert.equal(run.final?.getConcatenated('EAP-Message')?.[0], 4);
    assert.equal(run.final?.has('Tunnel-Private-Group-Id'), false);
    run.peer.destroy();
  });

  it('retired device -> reject; quarantined device -> reject, or the quarantine VLAN by policy', async () => {
    const r = await f.enroll('eap-retired');
    await f.inventory.transition(r.id, 'retired', 'test');
    const run1 = await new RadiusEapClient(f.bridge, ctx, SECRET).run(opts(f, r));
    assert.equal(run1.final?.codeName, 'Access-Reject');
    run1.peer.destroy();
    const qd = await f.enroll('eap-quarantined');
    await f.inventory.quarantine(qd.id, 'test', 'suspicious traffic');
    const run2 = await new RadiusEapClient(f.bridge, ctx, SECRET).run(opts(f, qd));
    assert.equal(run2.final?.codeName, 'Access-Reject');
    run2.peer.destroy();
    const qq = await q.enroll('eap-quarantined');
    await q.inventory.quarantine(qq.id, 'test', 'suspicious traffic');
    const qctx = { ...ctx, nas: q.bridge.nas.lookup('127.0.0.1')! };
    const run3 = await new RadiusEapClient(q.bridge, qctx, SECRET).run(opts(q, qq));
    assert.equal(run3.final?.codeName, 'Access-Accept');
    assert.equal(run3.final?.getString('Tunnel-Private-Group-Id'), '666');
    run3.peer.destroy();
  });

  it('a certificate from another CA fails in TLS (never reaches the Accept)', async () => {
    const other = await q.enroll('eap-foreign');
    const run = await new RadiusEapClient(f.bridge, ctx, SECRET).run({
      ...opts(q, other),
      ca: [readFileSync(f.caFile)],
    });
    assert.equal(run.final?.codeName, 'Access-Reject');
    run.peer.destroy();
  });

  it('decisions are audited with their reasons', async () => {
    let rows: Array<{ target: string; data: string }> = [];
    for (let i = 0; i < 100 && !rows.some((r) => r.target === 'device:eap-revoked'); i++) {
      rows = (await f.t.db('audit_log').where({ action: 'radius.access' })) as typeof rows; // written in the background
      await new Promise((r) => setTimeout(r, 20));
    }
    const revoked = rows.find((r) => r.target === 'device:eap-revoked');
    assert.ok(revoked);
    const data = JSON.parse(revoked.data) as { allow: boolean; reasons: string[]; serial: string };
    assert.equal(data.allow, false);
    assert.deepEqual(data.reasons, ['cert-revoked']);
    assert.ok(data.serial);
    assert.ok(
      rows.some((r) => r.target === 'device:eap-TLSv1.3' && (JSON.parse(r.data) as { vlan: number }).vlan === 30),
    );
  });
});
