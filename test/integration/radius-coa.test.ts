/**
 * Accounting (RFC 2866) keeps live sessions; revocation and quarantine send Disconnect/CoA
 * (RFC 5176) to the NAS holding them, with retries, the outcome stored and audited, and one
 * attempt across several bridges sharing the database (the claim).
 * The DAS here is a small Node UDP responder using the codec; test/interop/radius-das.test.ts
 * does the same against pyrad.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { EventBus } from '../../platform/events.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { PG_URL } from '../helpers/db.ts';
import { loadConfig } from '../../platform/config/index.ts';
import { decodePacket, encodePacket, verifyRequest, type DecodedPacket } from '../../radius-bridge/codec/index.ts';
import { createRadiusBridge, type RequestContext } from '../../radius-bridge/index.ts';
import { radiusFixture, SECRET, type RadiusFixture } from './radius-fixture.ts';

interface Das {
  port: number;
  got: DecodedPacket[];
  /** What to answer: ACK, NAK (with Error-Cause), or nothing. */
  mode: 'ack' | 'nak503' | 'silent';
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

async function das(): Promise<Das> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const d: Das = {
    port: s.address().port,
    got: [],
    mode: 'ack',
    async waitFor(n) {
      for (let i = 0; i < 300 && d.got.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(d.got.length >= n, `DAS got ${d.got.length} of ${n}`);
    },
    close: () => new Promise((r) => s.close(() => r())),
  };
  s.on('message', (m, rinfo) => {
    const p = decodePacket(m);
    verifyRequest(m, p, SECRET, { requireMessageAuthenticator: true });
    d.got.push(p);
    if (d.mode === 'silent') return;
    const ack = p.code === 40 ? 41 : 44;
    const code = d.mode === 'ack' ? ack : ack + 1;
    const attrs = d.mode === 'nak503' ? [{ name: 'Error-Cause' as const, value: 503 }] : [];
    s.send(
      encodePacket({ code: code as 41, identifier: p.identifier, attributes: attrs }, SECRET, {
        requestAuthenticator: p.authenticator,
      }),
      rinfo.port,
      rinfo.address,
    );
  });
  return d;
}

let f: RadiusFixture;
const CHANNEL = `gh_radius_test_${randomBytes(4).toString('hex')}`;
let server: Das;
let ctx: RequestContext;
const coaCfg = { timeoutMs: 100, retries: 2, backoffFactor: 2, maxTimeoutMs: 400 };

before(async () => {
  server = await das();
  f = await radiusFixture({
    channel: CHANNEL,
    clients: [
      {
        name: 'sw1',
        address: '127.0.0.1/32',
        secret: { value: SECRET },
        coa: { mode: 'disconnect', port: server.port },
      },
      {
        name: 'sw2',
        address: '127.0.0.2/32',
        secret: { value: SECRET },
        coa: { mode: 'coa-reauth', port: server.port, address: '127.0.0.1' },
      },
    ],
    radius: { coa: coaCfg },
  });
  ctx = { nas: f.bridge.nas.byName('sw1')!, port: 'acct', source: '127.0.0.1:1813', address: '127.0.0.1' };
});
after(async () => {
  await f.close();
  await server.close();
});

async function acct(
  status: 'Start' | 'Interim-Update' | 'Stop',
  session: string,
  mac: string,
  extra: Parameters<typeof encodePacket>[0]['attributes'] = [],
  c = ctx,
) {
  const p = encodePacket(
    {
      code: 'Accounting-Request',
      identifier: Math.floor(Math.random() * 256),
      attributes: [
        { name: 'Acct-Status-Type', value: status },
        { name: 'Acct-Session-Id', value: session },
        { name: 'Calling-Station-Id', value: mac },
        { name: 'NAS-IP-Address', value: '127.0.0.1' },
        { name: 'NAS-Port', value: 7 },
        ...extra,
      ],
    },
    SECRET,
  );
  const r = await f.bridge.handle(p, { ...c, source: `${c.address}:${Math.floor(Math.random() * 60000) + 1}` });
  assert.ok(r, 'Accounting-Response');
  assert.equal(r[0], 5);
}

const sessions = (deviceId: string) => f.t.db('radius_sessions').where({ device_id: deviceId });
const attempts = (deviceId: string) => f.t.db('radius_coa_attempts').where({ device_id: deviceId });

describe('accounting and CoA', () => {
  it('Start / Interim / Stop keep the live session table', async () => {
    const d = await f.enroll('acct-1', { macs: ['02:00:00:00:10:01'] });
    await acct('Start', 'A-1', '02-00-00-00-10-01');
    let rows = await sessions(d.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].nas_name, 'sw1');
    await acct('Interim-Update', 'A-1', '02-00-00-00-10-01', [
      { name: 'Acct-Input-Octets', value: 1000 },
      { name: 'Acct-Session-Time', value: 60 },
    ]);
    rows = await sessions(d.id);
    assert.equal(Number(rows[0].input_octets), 1000);
    await acct('Stop', 'A-1', '02-00-00-00-10-01');
    assert.equal((await sessions(d.id)).length, 0);
  });

  it('the session is tied to the device by our Class even without a known MAC', async () => {
    const d = await f.enroll('acct-class');
    await acct('Start', 'C-1', '02-00-00-00-99-99', [{ name: 'Class', value: `gatehouse:${d.id}` }]);
    assert.equal((await sessions(d.id)).length, 1);
  });

  it('certificate revocation -> Disconnect-Request to the NAS, ACK, session gone, audited', async () => {
    const d = await f.enroll('coa-revoke', { macs: ['02:00:00:00:10:02'] });
    await acct('Start', 'R-1', '02-00-00-00-10-02', [{ name: 'User-Name', value: d.id }]);
    const n = server.got.length;
    const t0 = Date.now();
    await f.pki.ca.revoke(d.serial, 'keyCompromise', { actor: 'test' });
    await server.waitFor(n + 1);
    assert.ok(Date.now() - t0 < 2000);
    const req = server.got[n]!;
    assert.equal(req.codeName, 'Disconnect-Request');
    assert.equal(req.attributes[0]!.type, 80, 'Message-Authenticator first');
    assert.equal(req.getString('Acct-Session-Id'), 'R-1');
    assert.equal(req.getString('User-Name'), d.id);
    await f.bridge.coa.idle();
    assert.equal((await sessions(d.id)).length, 0, 'Disconnect-ACK removes the session');
    const [a] = await attempts(d.id);
    assert.equal(a.status, 'ack');
    assert.equal(a.attempts, 1);
    const audit = await f.t.db('audit_log').where({ action: 'radius.coa', target: `device:${d.id}` });
    assert.equal(audit.length, 1);
    assert.equal(JSON.parse(audit[0].data).result, 'ack');
  });

  it('quarantine on a coa-reauth NAS -> CoA-Request with the reauthenticate command', async () => {
    const d = await f.enroll('coa-quarantine', { macs: ['02:00:00:00:10:03'] });
    const ctx2 = { ...ctx, nas: f.bridge.nas.byName('sw2')!, address: '127.0.0.2' };
    await acct('Start', 'Q-1', '02-00-00-00-10-03', [], ctx2);
    const n = server.got.length;
    await f.inventory.quarantine(d.id, 'test', 'malware');
    await server.waitFor(n + 1);
    const req = server.got[n]!;
    assert.equal(req.codeName, 'CoA-Request');
    assert.ok(req.getAll('Cisco-AVPair').some((v) => v.toString() === 'subscriber:command=reauthenticate'));
    await f.bridge.coa.idle();
    assert.equal((await sessions(d.id)).length, 1, 'a CoA-ACK keeps the session (the NAS re-authenticates it)');
  });

  it('NAK with Session-Context-Not-Found removes the stale session; silence times out after the retries', async () => {
    const d = await f.enroll('coa-nak', { macs: ['02:00:00:00:10:04'] });
    await acct('Start', 'N-1', '02-00-00-00-10-04');
    server.mode = 'nak503';
    await f.inventory.transition(d.id, 'retired', 'test');
    await server.waitFor(1);
    await f.bridge.coa.idle();
    for (let i = 0; i < 50 && (await attempts(d.id)).every((a) => a.status === 'pending'); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal((await attempts(d.id))[0].status, 'nak');
    assert.equal((await attempts(d.id))[0].error_cause, 503);
    assert.equal((await sessions(d.id)).length, 0);

    const s = await f.enroll('coa-silent', { macs: ['02:00:00:00:10:05'] });
    await acct('Start', 'S-1', '02-00-00-00-10-05');
    server.mode = 'silent';
    const n = server.got.length;
    await f.pki.ca.revoke(s.serial, 'superseded', { actor: 'test' });
    await server.waitFor(n + 3);
    for (let i = 0; i < 100 && (await attempts(s.id)).every((a) => a.status === 'pending'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const [a] = await attempts(s.id);
    assert.equal(a.status, 'timeout');
    assert.equal(a.attempts, 3);
    assert.equal((await sessions(s.id)).length, 1, 'never marked applied without an ACK');
    server.mode = 'ack';
  });

  /** A second bridge ("node-b") on the same database and CoA target, hearing events on `bus`. */
  function nodeBBridge(bus: EventBus) {
    const cfg = loadConfig({
      env: {},
      overrides: {
        radius: {
          enabled: true,
          hosts: ['127.0.0.1'],
          authPort: 0,
          acctPort: 0,
          clients: [{ name: 'sw1', address: '127.0.0.1/32', secret: { value: SECRET }, coa: { port: server.port } }],
          coa: coaCfg,
        },
      },
    });
    return createRadiusBridge({
      config: cfg.radius,
      db: f.t.db,
      audit: f.audit,
      bus,
      ca: f.pki.ca,
      inventory: f.inventory,
      log: f.log,
      metrics: createMetrics(false),
      nodeId: 'node-b',
      tls: f.bridge.serverTls()!,
    });
  }

  it('two bridges on one database hearing the same event send one Disconnect-Request', async () => {
    const second = nodeBBridge(f.bus);
    await second.start();
    try {
      const d = await f.enroll('coa-two-nodes', { macs: ['02:00:00:00:10:06'] });
      await acct('Start', 'T-1', '02-00-00-00-10-06');
      const n = server.got.length;
      await f.pki.ca.revoke(d.serial, 'keyCompromise', { actor: 'test' });
      await server.waitFor(n + 1);
      await Promise.all([f.bridge.coa.idle(), second.coa.idle()]);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(server.got.length, n + 1);
      assert.equal((await attempts(d.id)).length, 1);
    } finally {
      await second.stop();
    }
  });

  it('an event from another node (PostgreSQL LISTEN/NOTIFY) makes this node send the Disconnect-Request', async (t) => {
    if (f.t.kind !== 'pg') return t.skip('needs PostgreSQL (GATEHOUSE_TEST_DB=pg)');
    const busB = new EventBus('node-b', f.log, CHANNEL);
    await busB.listen(PG_URL);
    const nodeB = nodeBBridge(busB);
    await nodeB.start();
    f.bridge.coa.stop(); // node A hears its own event but leaves CoA to node B
    try {
      const d = await f.enroll('coa-remote', { macs: ['02:00:00:00:10:07'] });
      await acct('Start', 'X-1', '02-00-00-00-10-07');
      const n = server.got.length;
      await f.pki.ca.revoke(d.serial, 'keyCompromise', { actor: 'test:node-a' });
      await server.waitFor(n + 1);
      assert.equal(server.got[n]!.getString('Acct-Session-Id'), 'X-1');
      await nodeB.coa.idle();
      for (let i = 0; i < 50 && (await attempts(d.id)).every((a) => a.status === 'pending'); i++)
        await new Promise((r) => setTimeout(r, 20));
      const [a] = await attempts(d.id);
      assert.equal(a.node_id, 'node-b');
      assert.equal(a.status, 'ack');
    } finally {
      f.bridge.coa.start();
      await nodeB.stop();
      await busB.close();
    }
  });
});
