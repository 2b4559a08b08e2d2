/**
 * A pyrad DAS (python3-pyrad, test/interop/radius-das.py) on loopback receives the
 * Disconnect-Request within 2 s of ca.revoke() for a device whose session radclient started with
 * an Accounting-Request; pyrad verifies the Request Authenticator and the DAS script checks the
 * Message-Authenticator (RFC 5176 §3.4). The ACK it sends is recorded and audited.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it, type TestContext } from 'node:test';
import { requireTool } from '../helpers/tools.ts';
import { radiusFixture, SECRET, type RadiusFixture } from '../integration/radius-fixture.ts';
import { run } from './radius-tools.ts';

const SCRIPT = fileURLToPath(new URL('./radius-das.py', import.meta.url));

interface DasLine {
  t: number;
  code: number;
  verified: boolean;
  messageAuthenticator: boolean;
  attributes: Record<string, Array<string | number>>;
}

function pythonWithPyrad(t: TestContext): string | null {
  const py = ['/usr/bin/python3', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import pyrad'], { stdio: 'ignore' }).status === 0,
  );
  if (py) return py;
  const msg = 'python3-pyrad not found: apt-get install python3-pyrad (or run scripts/install-test-tools.sh)';
  if (process.env.CI) throw new Error(msg);
  t.skip(msg);
  return null;
}

async function startDas(py: string): Promise<{ port: number; lines: DasLine[]; proc: ChildProcess }> {
  const proc = spawn(py, [SCRIPT, SECRET, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: DasLine[] = [];
  const rl = createInterface({ input: proc.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (c) => reject(new Error(`DAS exited ${c}`)));
    rl.on('line', (l) => {
      const m = JSON.parse(l) as { port?: number } & DasLine;
      if (m.port) resolve(m.port);
      else lines.push(m);
    });
  });
  return { port, lines, proc };
}

let f: RadiusFixture | undefined;
let das: ChildProcess | undefined;
after(async () => {
  das?.kill();
  await f?.close();
});

describe('pyrad DAS', () => {
  it('receives a correct Disconnect-Request within 2 s of the revocation', async (t) => {
    const radclient = requireTool(t, 'radclient', 'freeradius-utils');
    const py = pythonWithPyrad(t);
    if (!radclient || !py) return;
    const d0 = await startDas(py);
    das = d0.proc;
    f = await radiusFixture({
      clients: [
        { name: 'sw1', address: '127.0.0.1/32', secret: { value: SECRET }, coa: { mode: 'disconnect', port: d0.port } },
      ],
    });
    const dev = await f.enroll('das-1', { macs: ['02:00:00:00:cc:01'] });
    const acct =
      [
        'Acct-Status-Type = Start',
        'Acct-Session-Id = "das-session-1"',
        'User-Name = "das-1"',
        'Calling-Station-Id = "02-00-00-00-CC-01"',
        'NAS-IP-Address = 127.0.0.1',
        'NAS-Port = 12',
      ].join('\n') + '\n';
    const r = await run(radclient, ['-x', '-r', '1', '-t', '2', `127.0.0.1:${f.acctPort}`, 'acct', SECRET], acct);
    assert.match(r.out, /Received Accounting-Response/);

    const t0 = Date.now() / 1000;
    await f.pki.ca.revoke(dev.serial, 'keyCompromise', { actor: 'test:interop' });
    for (let i = 0; i < 200 && d0.lines.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    const got = d0.lines[0];
    assert.ok(got, 'the DAS got a request');
    assert.ok(got.t - t0 < 2, `within 2 s (${(got.t - t0).toFixed(3)} s)`);
    assert.equal(got.code, 40, 'Disconnect-Request');
    assert.equal(got.verified, true, 'pyrad verified the Request Authenticator');
    assert.equal(got.messageAuthenticator, true, 'Message-Authenticator first and correct');
    assert.deepEqual(got.attributes['Acct-Session-Id'], ['das-session-1']);
    assert.deepEqual(got.attributes['User-Name'], ['das-1']);
    assert.deepEqual(got.attributes['Calling-Station-Id'], ['02-00-00-00-CC-01']);
    await f.bridge.coa.idle();
    for (let i = 0; i < 100; i++) {
      const [a] = await f.t.db('radius_coa_attempts').where({ device_id: 'das-1' });
      if (a?.status === 'ack') break;
      await new Promise((res) => setTimeout(res, 20));
    }
    const [a] = await f.t.db('radius_coa_attempts').where({ device_id: 'das-1' });
    assert.equal(a.status, 'ack', 'pyrad ACKed');
    assert.equal((await f.t.db('radius_sessions').where({ device_id: 'das-1' })).length, 0);
  });
});
