/**
 * radclient (freeradius-utils) against the bridge over UDP, IPv4 and IPv6:
 * MAB with Message-Authenticator -> Access-Accept with the VLAN; without it -> no answer
 * (BlastRADIUS); unknown MAC per policy; Status-Server; accounting Start; unknown NAS addresses
 * discarded silently and counted.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it, type TestContext } from 'node:test';
import { encodePacket } from '../../radius-bridge/codec/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { radiusFixture, SECRET, type RadiusFixture } from '../integration/radius-fixture.ts';
import { run } from './radius-tools.ts';

let f: RadiusFixture;
let g: RadiusFixture;
let v6Auth = 0;
before(async () => {
  f = await radiusFixture({
    radius: { hosts: ['127.0.0.1', '::1'] },
    clients: [
      { name: 'sw-v4', address: '127.0.0.1/32', secret: { value: SECRET } },
      { name: 'sw-v6', address: '::1/128', secret: { value: SECRET } },
    ],
  });
  v6Auth = f.bridge.addresses().udp.find((a) => a.kind === 'auth' && a.family === 'IPv6')!.port;
  g = await radiusFixture({ policy: { unknownMac: 'guest', guestVlan: 99 } });
  await f.addMabDevice('meter-1', '02:00:00:00:bb:01', { segment: 'cameras' });
});
after(async () => {
  await f.close();
  await g.close();
});

const mabInput = (mac: string, withMa = true) =>
  [
    `User-Name = "${mac.replace(/:/g, '')}"`,
    `User-Password = "${mac.replace(/:/g, '')}"`,
    `Calling-Station-Id = "${mac.replace(/:/g, '-').toUpperCase()}"`,
    'NAS-Port-Type = Ethernet',
    'Service-Type = Call-Check',
    ...(withMa ? ['Message-Authenticator = 0x00'] : []),
  ].join('\n') + '\n';

async function radclient(t: TestContext, target: string, kind: string, input: string) {
  const bin = requireTool(t, 'radclient', 'freeradius-utils');
  if (!bin) return null;
  return run(bin, ['-x', '-r', '1', '-t', '1', target, kind, SECRET], input);
}

describe('radclient', () => {
  it('MAB with Message-Authenticator -> Access-Accept with the segment VLAN (IPv4)', async (t) => {
    const r = await radclient(t, `127.0.0.1:${f.authPort}`, 'auth', mabInput('02:00:00:00:bb:01'));
    if (!r) return;
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Received Access-Accept/);
    assert.match(r.out, /Tunnel-Private-Group-Id:0 = "30"/);
    assert.match(r.out, /Tunnel-Type:0 = VLAN/);
    assert.match(r.out, /Tunnel-Medium-Type:0 = IEEE-802/);
  });

  it('the same over IPv6', async (t) => {
    const r = await radclient(t, `[::1]:${v6Auth}`, 'auth', mabInput('02:00:00:00:bb:01'));
    if (!r) return;
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Tunnel-Private-Group-Id:0 = "30"/);
  });

  it('MAB without Message-Authenticator -> no answer, counted', async (t) => {
    const before = f.bridge.metrics.dropped.get('missing-message-authenticator') ?? 0;
    const r = await radclient(t, `127.0.0.1:${f.authPort}`, 'auth', mabInput('02:00:00:00:bb:01', false));
    if (!r) return;
    assert.notEqual(r.code, 0);
    assert.match(r.out, /No reply from server/);
    assert.ok((f.bridge.metrics.dropped.get('missing-message-authenticator') ?? 0) > before);
  });

  it('unknown MAC -> Access-Reject (reject policy), guest VLAN (guest policy)', async (t) => {
    const r = await radclient(t, `127.0.0.1:${f.authPort}`, 'auth', mabInput('02:00:00:00:bb:99'));
    if (!r) return;
    assert.match(r.out, /Received Access-Reject/);
    const rg = await radclient(t, `127.0.0.1:${g.authPort}`, 'auth', mabInput('02:00:00:00:bb:99'));
    assert.match(rg!.out, /Received Access-Accept/);
    assert.match(rg!.out, /Tunnel-Private-Group-Id:0 = "99"/);
  });

  it('Status-Server on the auth and accounting ports', async (t) => {
    const r = await radclient(t, `127.0.0.1:${f.authPort}`, 'status', 'Message-Authenticator = 0x00\n');
    if (!r) return;
    assert.match(r.out, /Received Access-Accept/);
    const acctPort = f.acctPort;
    const ra = await radclient(t, `127.0.0.1:${acctPort}`, 'status', 'Message-Authenticator = 0x00\n');
    assert.match(ra!.out, /Received Accounting-Response/);
  });

  it('accounting Start -> Accounting-Response and a live session for the device', async (t) => {
    const input =
      [
        'Acct-Status-Type = Start',
        'Acct-Session-Id = "rc-1"',
        'Calling-Station-Id = "02-00-00-00-BB-01"',
        'NAS-IP-Address = 127.0.0.1',
        'NAS-Port = 3',
      ].join('\n') + '\n';
    const r = await radclient(t, `127.0.0.1:${f.acctPort}`, 'acct', input);
    if (!r) return;
    assert.match(r.out, /Received Accounting-Response/);
    const rows = await f.t.db('radius_sessions').where({ acct_session_id: 'rc-1' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].device_id, 'meter-1');
  });

  it('a packet from an unknown NAS address is discarded silently and counted', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.2', () => r()));
    const before = f.bridge.metrics.dropped.get('unknown-nas') ?? 0;
    let answered = false;
    s.on('message', () => (answered = true));
    const p = encodePacket(
      {
        code: 'Access-Request',
        identifier: 1,
        attributes: [{ name: 'Calling-Station-Id', value: '02:00:00:00:bb:01' }],
      },
      SECRET,
    );
    s.send(p, f.authPort, '127.0.0.1');
    for (let i = 0; i < 100 && (f.bridge.metrics.dropped.get('unknown-nas') ?? 0) === before; i++)
      await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    s.close();
    assert.equal(answered, false);
    assert.equal(f.bridge.metrics.dropped.get('unknown-nas'), before + 1);
  });
});
