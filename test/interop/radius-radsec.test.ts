/**
 * RadSec (RFC 6614) with radsecproxy in front: radclient -> radsecproxy (UDP) -> TLS with a NAS
 * client certificate from our CA -> the bridge's RadSec listener. MAB comes back with the VLAN;
 * a NAS certificate that was revoked is refused.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { derToPem } from '../../radius-bridge/server/certificate.ts';
import { requireTool } from '../helpers/tools.ts';
import { makeCsr } from '../helpers/pki.ts';
import { radiusFixture, SECRET, type RadiusFixture } from '../integration/radius-fixture.ts';
import { run } from './radius-tools.ts';

let f: RadiusFixture | undefined;
const procs: ChildProcess[] = [];
after(async () => {
  for (const p of procs) p.kill();
  await f?.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function nasCert(fx: RadiusFixture, name: string): Promise<{ cert: string; key: string; serial: string }> {
  const { csrDer, key } = makeCsr('P-256');
  const issued = await fx.pki.ca.issue(csrDer, {
    profile: 'device-tls',
    subject: { commonName: name },
    sans: { dns: [name] },
    actor: 'test',
  });
  const cert = join(fx.t.dir, `${name}.pem`);
  const keyFile = join(fx.t.dir, `${name}.key`);
  writeFileSync(cert, [issued.der, ...issued.chain].map((d) => derToPem(d)).join(''));
  writeFileSync(keyFile, key.export({ type: 'pkcs8', format: 'pem' }) as string);
  return { cert, key: keyFile, serial: issued.serial };
}

async function proxy(
  bin: string,
  fx: RadiusFixture,
  nas: { cert: string; key: string },
  udpPort: number,
): Promise<ChildProcess> {
  const conf = join(fx.t.dir, `radsecproxy-${udpPort}.conf`);
  writeFileSync(
    conf,
    `ListenUDP 127.0.0.1:${udpPort}
LogLevel 3
tls default {
    CACertificateFile ${fx.caFile}
    CertificateFile ${nas.cert}
    CertificateKeyFile ${nas.key}
}
client radclient {
    host 127.0.0.1
    type udp
    secret ${SECRET}
}
server gatehouse {
    host 127.0.0.1
    port ${fx.bridge.addresses().radsec!.port}
    type tls
    tls default
    secret radsec
    CertificateNameCheck off
    StatusServer off
}
realm * {
    server gatehouse
}
`,
  );
  const p = spawn(bin, ['-f', '-c', conf, '-i', join(fx.t.dir, `radsecproxy-${udpPort}.pid`)], {
    stdio: ['ignore', 'ignore', process.env.RSP_DEBUG ? 'inherit' : 'ignore'],
  });
  procs.push(p);
  await new Promise((r) => setTimeout(r, 300));
  return p;
}

const mab =
  'User-Name = "020000000d01"\nUser-Password = "x"\nCalling-Station-Id = "02-00-00-00-0D-01"\nMessage-Authenticator = 0x00\n';

describe('RadSec through radsecproxy', () => {
  it('a radclient MAB request forwarded over TLS gets the VLAN; a revoked NAS certificate is refused', async (t: TestContext) => {
    const rsp = requireTool(t, 'radsecproxy', 'radsecproxy');
    const radclient = requireTool(t, 'radclient', 'freeradius-utils');
    if (!rsp || !radclient) return;
    f = await radiusFixture({
      radsec: true,
      clients: [
        { name: 'rsp', address: '127.0.0.1/32', transport: 'radsec', certName: 'nas-radsec' },
        { name: 'rsp-old', address: '127.0.0.2/32', transport: 'radsec' },
      ],
    });
    await f.addMabDevice('meter-rs', '02:00:00:00:0d:01', { segment: 'cameras' });
    const good = await nasCert(f, 'nas-radsec');
    const port = await freePort();
    await proxy(rsp, f, good, port);
    const r = await run(radclient, ['-x', '-r', '3', '-t', '2', `127.0.0.1:${port}`, 'auth', SECRET], mab);
    assert.match(r.out, /Received Access-Accept/, r.out);
    assert.match(r.out, /Tunnel-Private-Group-Id:0 = "30"/);

    const wrongName = await nasCert(f, 'nas-other');
    const port2 = await freePort();
    const before = f.bridge.metrics.dropped.get('unknown-nas') ?? 0;
    await proxy(rsp, f, wrongName, port2);
    const r2 = await run(radclient, ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port2}`, 'auth', SECRET], mab);
    assert.doesNotMatch(r2.out, /Received Access-Accept/);
    assert.ok(
      (f.bridge.metrics.dropped.get('unknown-nas') ?? 0) > before,
      'a certificate with another name is refused at admission',
    );

    const revoked = await nasCert(f, 'nas-radsec');
    await f.pki.ca.revoke(revoked.serial, 'keyCompromise', { actor: 'test' });
    const port3 = await freePort();
    const before3 = f.bridge.metrics.dropped.get('unknown-nas') ?? 0;
    await proxy(rsp, f, revoked, port3);
    const r3 = await run(radclient, ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port3}`, 'auth', SECRET], mab);
    assert.doesNotMatch(r3.out, /Received Access-Accept/);
    assert.ok(
      (f.bridge.metrics.dropped.get('unknown-nas') ?? 0) > before3,
      'a revoked certificate is refused at admission',
    );
  });
});
