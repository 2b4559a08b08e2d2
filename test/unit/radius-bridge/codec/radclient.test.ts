/**
 * Interop with the real FreeRADIUS `radclient` (freeradius-utils): a UDP server on 127.0.0.1 built on
 * the codec verifies what radclient sends and answers; radclient checks our Response Authenticator
 * and Message-Authenticator, reassembles EAP-Message and decrypts the MS-MPPE keys independently.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import {
  decodePacket,
  encodePacket,
  revealUserPassword,
  verifyRequest,
  type DecodedPacket,
} from '../../../../radius-bridge/codec/index.ts';
import { isAppError } from '../../../../platform/errors.ts';
import { requireTool } from '../../../helpers/tools.ts';
import { hex } from './independent.ts';

const SECRET = 'radclient-interop-secret';

interface Seen {
  packet?: DecodedPacket;
  error?: unknown;
}
type Responder = (req: DecodedPacket) => Buffer;

/** Runs `fn` against a codec-backed server that verifies every request (Message-Authenticator required). */
async function withServer(respond: Responder, fn: (port: number, seen: Seen[]) => Promise<void>): Promise<void> {
  const sock = dgram.createSocket('udp4');
  const seen: Seen[] = [];
  sock.on('message', (msg, peer) => {
    try {
      const packet = decodePacket(msg);
      verifyRequest(msg, packet, SECRET, { requireMessageAuthenticator: true });
      seen.push({ packet });
      sock.send(respond(packet), peer.port, peer.address);
    } catch (error) {
      seen.push({ error }); // silently discarded, as RFC 2865 §3 requires
    }
  });
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  try {
    await fn(sock.address().port, seen);
  } finally {
    sock.close();
  }
}

async function radclient(bin: string, port: number, command: string, attrs: string, timeout = 3) {
  const child = spawn(bin, ['-x', '-r', '1', '-t', String(timeout), `127.0.0.1:${port}`, command, SECRET]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(`${attrs}\n`);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out };
}

const reply = (
  req: DecodedPacket,
  code: 'Access-Accept' | 'CoA-ACK' | 'Disconnect-ACK' | 'Accounting-Response',
  attributes = [] as Parameters<typeof encodePacket>[0]['attributes'],
) =>
  encodePacket({ code, identifier: req.identifier, attributes }, SECRET, {
    requestAuthenticator: req.authenticator,
    messageAuthenticator: true,
  });

test('radclient: Access-Request verified; Access-Accept with VLAN, Message-Authenticator, MPPE keys, long EAP-Message', async (t) => {
  const bin = requireTool(t, 'radclient', 'freeradius-utils');
  if (!bin) return;
  const recv = randomBytes(32);
  const send = randomBytes(32);
  const eap = randomBytes(400); // > 253: split in two; radclient prints at most ~500 octets of a value
  const respond: Responder = (req) =>
    reply(req, 'Access-Accept', [
      { name: 'Tunnel-Type', value: 'VLAN' },
      { name: 'Tunnel-Medium-Type', value: 'IEEE-802' },
      { name: 'Tunnel-Private-Group-Id', value: '100' },
      { name: 'EAP-Message', value: eap },
      { name: 'MS-MPPE-Recv-Key', value: recv },
      { name: 'MS-MPPE-Send-Key', value: send },
      ...req.findAll('Proxy-State'),
    ]);
  await withServer(respond, async (port, seen) => {
    const attrs =
      'User-Name = "printer-7", User-Password = "hunter2", Message-Authenticator = 0x00, ' +
      'Calling-Station-Id = "02-00-00-00-00-07", Proxy-State = 0x686f7031';
    const { code, out } = await radclient(bin, port, 'auth', attrs);
    assert.equal(code, 0, out);
    assert.match(out, /Received Access-Accept Id \d+/);
    assert.doesNotMatch(out, /verification failed|invalid/i);
    assert.match(out, /Tunnel-Private-Group-Id:0 = "100"/);
    assert.match(out, /Tunnel-Type:0 = VLAN/);
    assert.match(out, /Tunnel-Medium-Type:0 = IEEE-802/);
    assert.ok(out.includes(`EAP-Message = 0x${hex(eap)}`), `EAP-Message reassembled by radclient: ${out}`);
    assert.ok(out.includes(`MS-MPPE-Recv-Key = 0x${hex(recv)}`), 'Recv-Key decrypted by radclient');
    assert.ok(out.includes(`MS-MPPE-Send-Key = 0x${hex(send)}`), 'Send-Key decrypted by radclient');
    assert.match(out, /Proxy-State = 0x686f7031/);
    const req = seen[0]?.packet;
    assert.ok(req, `request verified: ${String(seen[0]?.error)}`);
    assert.equal(req.getString('User-Name'), 'printer-7');
    assert.equal(
      revealUserPassword(req.get('User-Password') as Buffer, SECRET, req.authenticator).toString(),
      'hunter2',
    );
  });
});

test('radclient: Access-Request without Message-Authenticator is discarded when the NAS must send it', async (t) => {
  const bin = requireTool(t, 'radclient', 'freeradius-utils');
  if (!bin) return;
  await withServer(
    (req) => reply(req, 'Access-Accept'),
    async (port, seen) => {
      const { code, out } = await radclient(bin, port, 'auth', 'User-Name = "legacy-switch"', 1);
      assert.notEqual(code, 0);
      assert.match(out, /No reply from server/);
      assert.ok(seen.length > 0 && seen.every((s) => isAppError(s.error, 'ERR_RADIUS_AUTHENTICATOR')));
    },
  );
});

test('radclient: CoA, Disconnect, Accounting and Status-Server requests verify; our ACKs verify in radclient', async (t) => {
  const bin = requireTool(t, 'radclient', 'freeradius-utils');
  if (!bin) return;
  const session = 'Acct-Session-Id = "0000001A", Calling-Station-Id = "02-00-00-00-00-07"';
  const cases = [
    ['coa', `${session}, Message-Authenticator = 0x00`, 'CoA-ACK'],
    ['disconnect', `${session}, Message-Authenticator = 0x00`, 'Disconnect-ACK'],
    ['coa', session, 'CoA-ACK'],
    // Accounting-Response Message-Authenticator: zero authenticator (FreeRADIUS), not RFC-defined.
    ['acct', `${session}, Acct-Status-Type = Start`, 'Accounting-Response'],
    ['status', 'Message-Authenticator = 0x00', 'Access-Accept'],
    // RFC 5997 §3: on the accounting port, keyed on the Status-Server's Request Authenticator.
    ['status', 'Message-Authenticator = 0x00', 'Accounting-Response'],
  ] as const;
  for (const [command, attrs, expected] of cases) {
    const respond: Responder = (req) =>
      encodePacket({ code: expected, identifier: req.identifier, attributes: [] }, SECRET, {
        requestAuthenticator: req.authenticator,
        messageAuthenticator: true,
        requestCode: req.code,
      });
    await withServer(respond, async (port, seen) => {
      const { code, out } = await radclient(bin, port, command, attrs);
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(`Received ${expected} Id \\d+`), `${command}: ${out}`);
      assert.ok(seen[0]?.packet, `${command} verified: ${String(seen[0]?.error)}`);
    });
  }
});
