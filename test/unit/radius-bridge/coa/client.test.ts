/**
 * CoA/Disconnect client with a fake clock and a fake transport: retries resend the identical
 * packet, waits grow by the backoff factor up to the cap, ACK/NAK end it, forged or mismatched
 * replies are ignored, Message-Authenticator is present and correct (RFC 5176 §3.4).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePacket, encodePacket, verifyRequest } from '../../../../radius-bridge/codec/index.ts';
import { CoaClient, type CoaTransport, type Timers } from '../../../../radius-bridge/coa/client.ts';
import { coaPacketFor } from '../../../../radius-bridge/coa/dispatcher.ts';
import type { LiveSession } from '../../../../radius-bridge/accounting/state.ts';

const SECRET = Buffer.from('coa-secret-long-enough');

class FakeClock implements Timers {
  now = 0;
  #timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #id = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.now + ms, fn, id: ++this.#id };
    this.#timers.push(t);
    return t.id;
  }
  clearTimeout(h: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== h);
  }
  /** Advances to the next timer and runs it; returns the wait. */
  tick(): number {
    this.#timers.sort((a, b) => a.at - b.at);
    const t = this.#timers.shift();
    if (!t) return -1;
    const wait = t.at - this.now;
    this.now = t.at;
    t.fn();
    return wait;
  }
  get pending(): number {
    return this.#timers.length;
  }
}

class FakeTransport implements CoaTransport {
  sent: Array<{ packet: Buffer; port: number; address: string; at: number }> = [];
  #cb: ((p: Buffer, from: { address: string; port: number }) => void) | undefined;
  constructor(private readonly clock: FakeClock) {}
  send(packet: Buffer, port: number, address: string): void {
    this.sent.push({ packet: Buffer.from(packet), port, address, at: this.clock.now });
  }
  onMessage(cb: (p: Buffer, from: { address: string; port: number }) => void): void {
    this.#cb = cb;
  }
  deliver(p: Buffer, from = { address: '192.0.2.10', port: 3799 }): void {
    this.#cb?.(p, from);
  }
}

const session: LiveSession = {
  nasName: 'sw1',
  acctSessionId: 'S-77',
  nasAddress: '192.0.2.10',
  nasIp: '192.0.2.10',
  nasIdentifier: 'sw1',
  nasPort: 7,
  nasPortId: null,
  mac: '02:00:00:00:00:01',
  callingStationId: '02-00-00-00-00-01',
  userName: 'dev-1',
  deviceId: 'dev-1',
  nodeId: 'n',
  startedAt: 0,
  updatedAt: 0,
  inputOctets: 0,
  outputOctets: 0,
  sessionTime: 0,
};

const retry = { timeoutMs: 1000, retries: 3, backoffFactor: 2, maxTimeoutMs: 3000 };

function setup() {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const client = new CoaClient(transport, retry, clock);
  const pkt = coaPacketFor('disconnect', session, new Date(1_700_000_000_000));
  return { clock, transport, client, request: { ...pkt, address: '192.0.2.10', port: 3799, secret: SECRET } };
}

function answer(
  request: Buffer,
  code: number,
  attrs: Parameters<typeof encodePacket>[0]['attributes'] = [],
  secret = SECRET,
): Buffer {
  return encodePacket({ code: code as 41, identifier: request[1]!, attributes: attrs }, secret, {
    requestAuthenticator: request.subarray(4, 20),
  });
}

describe('CoA client', () => {
  it('retries the identical packet with exponential backoff capped at maxTimeoutMs, then times out', async () => {
    const { clock, transport, client, request } = setup();
    const outcome = client.send(request);
    const waits: number[] = [];
    while (clock.pending) waits.push(clock.tick());
    assert.deepEqual(waits, [1000, 2000, 3000, 3000]);
    assert.deepEqual(await outcome, { result: 'timeout', attempts: 4 });
    assert.equal(transport.sent.length, 4);
    assert.deepEqual(
      transport.sent.map((s) => s.at),
      [0, 1000, 3000, 6000],
    );
    for (const s of transport.sent)
      assert.deepEqual(s.packet, transport.sent[0]!.packet, 'retransmission = same id and authenticator');
    assert.equal(client.outstanding, 0);
  });

  it('sends a Disconnect-Request with Message-Authenticator first and both authenticators right', () => {
    const { transport, client, request } = setup();
    void client.send(request);
    const p = transport.sent[0]!.packet;
    assert.equal(p[0], 40);
    assert.equal(p[20], 80, 'Message-Authenticator first');
    const d = decodePacket(p);
    verifyRequest(p, d, SECRET, { requireMessageAuthenticator: true });
    assert.equal(d.getString('Acct-Session-Id'), 'S-77');
    assert.equal(d.getString('Calling-Station-Id'), '02-00-00-00-00-01');
    assert.equal(d.getAddress('NAS-IP-Address'), '192.0.2.10');
    assert.ok(d.has('Event-Timestamp'));
    client.close();
  });

  it('an ACK after one retry ends it; a NAK carries its Error-Cause', async () => {
    const { clock, transport, client, request } = setup();
    const o = client.send(request);
    clock.tick();
    transport.deliver(answer(transport.sent[1]!.packet, 41));
    assert.deepEqual(await o, { result: 'ack', attempts: 2 });
    assert.equal(clock.pending, 0, 'timer cleared');
    const o2 = client.send(request);
    transport.deliver(
      answer(transport.sent[2]!.packet, 42, [{ name: 'Error-Cause', value: 'Session-Context-Not-Found' }]),
    );
    assert.deepEqual(await o2, { result: 'nak', attempts: 1, errorCause: 503 });
  });

  it('ignores forged, foreign, wrong-kind and unsolicited replies', async () => {
    const { clock, transport, client, request } = setup();
    const o = client.send(request);
    const req = transport.sent[0]!.packet;
    transport.deliver(answer(req, 41, [], Buffer.from('wrong-secret-xxxxxxxx')));
    transport.deliver(answer(req, 41), { address: '192.0.2.99', port: 3799 });
    transport.deliver(answer(req, 41), { address: '192.0.2.10', port: 1700 });
    transport.deliver(answer(req, 44));
    transport.deliver(Buffer.from([41, req[1]!, 0]));
    const other = Buffer.from(req);
    other[1] = (other[1]! + 1) & 0xff;
    transport.deliver(answer(other, 41));
    assert.equal(client.outstanding, 1);
    transport.deliver(answer(req, 41));
    assert.deepEqual(await o, { result: 'ack', attempts: 1 });
    assert.equal(clock.pending, 0);
  });

  it('vendor profiles: CoA-Request with the Cisco command for reauth and bounce-port', () => {
    const reauth = coaPacketFor('coa-reauth', session, new Date());
    const bounce = coaPacketFor('coa-bounce-port', session, new Date());
    assert.equal(reauth.code, 'CoA-Request');
    assert.ok(reauth.attributes.some((a) => 'name' in a && a.value === 'subscriber:command=reauthenticate'));
    assert.ok(bounce.attributes.some((a) => 'name' in a && a.value === 'subscriber:command=bounce-host-port'));
    const { transport, client } = setup();
    void client.send({ ...reauth, address: '192.0.2.10', port: 3799, secret: SECRET });
    const p = transport.sent[0]!.packet;
    assert.equal(p[0], 43);
    verifyRequest(p, decodePacket(p), SECRET, { requireMessageAuthenticator: true });
    client.close();
  });

  it('allocates distinct identifiers per destination, at most 256 outstanding', async () => {
    const { transport, client, request } = setup();
    const all = Array.from({ length: 257 }, () => client.send(request));
    const ids = new Set(transport.sent.map((s) => s.packet[1]));
    assert.equal(ids.size, 256);
    assert.deepEqual(await all[256], { result: 'error', attempts: 0 });
    client.close();
    assert.equal((await all[0])!.result, 'error');
  });
});
