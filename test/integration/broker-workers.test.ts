/**
 * `broker.workers: 2` through the real `gatehouse serve` (issue #5): two broker processes share
 * the HTTPS port behind the serve primary, which keeps the other roles (here the admin API).
 * Asserts:
 * - the printed broker address is the shared port; every connection gets the same JWKS (one
 *   assertion key for all workers);
 * - a worker killed with SIGKILL is replaced, and the port answers meanwhile and afterwards;
 * - revoking a certificate through the primary's admin API (an event whose origin is the
 *   primary) closes the live keep-alive connections held by EVERY worker within 2 s (the
 *   issue's bound; each worker logs how many it closed under its own node id), a fresh
 *   connection is refused with 'certificate-revoked', and the audit chain still verifies;
 * - SIGHUP reaches every worker (policy reload); SIGTERM stops them all and the primary exits 0.
 * SQLite by default, PostgreSQL (LISTEN/NOTIFY) with GATEHOUSE_TEST_DB=pg.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { adminClient } from '../helpers/admin-api.ts';
import { cliJson, runCli, startServe, type Serving } from '../helpers/cli.ts';
import { PG_URL, testDbKind } from '../helpers/db.ts';
import { opensslCsr, waitFor } from '../helpers/openssl.ts';
import { JWKS_PATH } from '../../ztna-broker/index.ts';

const BROKER_HOST = 'broker.workers.test';
interface Admin {
  cert: string;
  key: string;
  serial: string;
}
interface Reply {
  sock: TLSSocket;
  status: number;
  body: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Direct children of a process (the serve primary's cluster workers). */
function children(pid: number): number[] {
  const dir = `/proc/${pid}/task`;
  return readdirSync(dir).flatMap((t) => readFileSync(`${dir}/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
}

/** One HTTP/1.1 request on a NEW TLS connection, left open (keep-alive) for the caller. */
function request(port: number, root: string, a: Admin, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port, servername: BROKER_HOST, ca: root, cert: a.cert, key: a.key });
    let buf = '';
    sock.setEncoding('latin1');
    const onData = (d: string) => {
      buf += d;
      const end = buf.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: *(\d+)/i.exec(buf);
      if (end < 0 || !len || buf.length < end + 4 + Number(len[1])) return;
      sock.off('data', onData);
      resolve({ sock, status: Number(buf.slice(9, 12)), body: buf.slice(end + 4, end + 4 + Number(len[1])) });
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.once('secureConnect', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${BROKER_HOST}\r\n\r\n`));
  });
}

async function answers(port: number, root: string, a: Admin, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await request(port, root, a, JWKS_PATH);
    r.sock.destroy();
    assert.equal(r.status, 200);
    out.push(r.body);
  }
  return out;
}

describe('broker.workers = 2 behind one serve process', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-workers-'));
  const g = ['-d', join(dir, 'data')];
  const env: Record<string, string> = testDbKind() === 'pg' ? { GATEHOUSE_DB__URL: PG_URL, GATEHOUSE_DB__SCHEMA: `wk_${randomBytes(5).toString('hex')}` } : {};
  const admins: Record<'alice' | 'bob', Admin> = {} as never;
  let root = '';
  let port = 0;
  let node: Serving | undefined;

  before(async () => {
    await cliJson([...g, 'init', '--dev', '--offline-dir', join(dir, 'offline')], env);
    for (const name of ['alice', 'bob'] as const) {
      const csr = await opensslCsr(dir, name);
      const c = await cliJson<{ pem: string; serial: string }>([...g, 'cert', 'issue', '--csr', csr.csr, '--profile', 'admin-client', '--cn', name, '--email', `${name}@example.test`], env);
      admins[name] = { cert: c.pem, key: readFileSync(csr.key, 'utf8'), serial: c.serial };
    }
    root = readFileSync(join(dir, 'data', 'ca', 'root.crt.pem'), 'utf8');
    writeFileSync(join(dir, 'policy.yaml'), 'routes:\n  - { id: cam, host: cam.workers.test, upstream: "http://127.0.0.1:9" }\nrules:\n  - { id: ops, effect: allow, routes: [cam], when: { groups: [ops] } }\n');
    port = await freePort();
    node = await startServe(g, {
      ...env,
      GATEHOUSE_LOG__LEVEL: 'info',
      GATEHOUSE_BROKER__ENABLED: 'true',
      GATEHOUSE_BROKER__WORKERS: '2',
      GATEHOUSE_BROKER__HOST: BROKER_HOST,
      GATEHOUSE_BROKER__LISTEN: JSON.stringify({ host: '127.0.0.1', port }),
      GATEHOUSE_BROKER__POLICY_FILE: join(dir, 'policy.yaml'),
      GATEHOUSE_BROKER__OIDC: JSON.stringify({ issuer: 'https://idp.workers.test/', clientId: 'gatehouse-test' }),
      GATEHOUSE_BROKER__MFA: JSON.stringify({ methods: ['totp'], totp: { encryptionKey: { value: 'workers-test-totp-key-0123456789abcdef' } } }),
    }, undefined, 120_000);
  });
  after(async () => {
    await node?.stop();
    if (env.GATEHOUSE_DB__SCHEMA) {
      const { default: knex } = await import('knex');
      const db = knex({ client: 'pg', connection: PG_URL });
      await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [env.GATEHOUSE_DB__SCHEMA]).catch(() => undefined);
      await db.destroy();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('the broker address is the shared port, every worker serves the same JWKS', async () => {
    assert.equal(node!.addresses.broker, `https://127.0.0.1:${port}`);
    assert.equal(children(node!.proc.pid!).length, 2, 'two worker processes');
    const bodies = await answers(port, root, admins.bob, 6);
    assert.equal(new Set(bodies).size, 1, 'one assertion key for all workers');
    assert.equal((JSON.parse(bodies[0]!) as { keys: unknown[] }).keys.length, 1);
  });

  test('SIGHUP to the serve process reloads the policy in every worker', async () => {
    const from = node!.stderr().length;
    process.kill(node!.proc.pid!, 'SIGHUP');
    const reloaded = () => new Set(node!.stderr().slice(from).split('\n').filter((l) => l.includes('broker policy reloaded')).map((l) => (JSON.parse(l) as { node: string }).node.replace(/.*\//, '')));
    assert.ok(await waitFor(async () => reloaded().size === 2, 10_000, 50), `reloaded in ${[...reloaded()].join(', ')}`);
  });

  test('a worker killed with SIGKILL is replaced and the port keeps answering', async () => {
    const before = children(node!.proc.pid!);
    const victim = before[0]!;
    process.kill(victim, 'SIGKILL');
    assert.ok(await waitFor(async () => !children(node!.proc.pid!).includes(victim), 10_000, 20), 'the primary reaped the killed worker');
    await answers(port, root, admins.bob, 3);
    assert.ok(await waitFor(async () => children(node!.proc.pid!).length === 2, 30_000, 100), 'a replacement worker was forked');
    assert.ok(!children(node!.proc.pid!).includes(victim));
    assert.ok(await waitFor(async () => /broker worker listening[\s\S]*$/.test(node!.stderr().split('broker worker exited; restarting')[1] ?? ''), 30_000, 100), 'the replacement listens');
    assert.equal((await answers(port, root, admins.bob, 4)).length, 4);
  });

  test('revocation through the primary closes live connections in every worker within 2 s', async () => {
    const live: Reply[] = [];
    for (let i = 0; i < 6; i++) live.push(await request(port, root, admins.alice, JWKS_PATH));
    assert.ok(live.every((r) => r.status === 200));
    // a next request's head, unfinished: the idle keep-alive timeout (5 s) cannot close them first
    for (const r of live) r.sock.write(`GET ${JWKS_PATH} HTTP/1.1\r\nHost: ${BROKER_HOST}\r\n`);
    assert.ok(live.every((r) => !r.sock.destroyed), 'all connections open before the revocation');
    const closed = live.map((r) => new Promise<number>((resolve) => r.sock.once('close', () => resolve(Date.now()))));
    const logFrom = node!.stderr().length;
    const api = adminClient(node!.addresses.api!, { ca: root, cert: admins.bob.cert, key: admins.bob.key });
    const t0 = Date.now();
    const r = await api.call<{ revokedAt?: string }>('POST', `/api/v1/certificates/${admins.alice.serial}/revoke`, { reason: 'keyCompromise' });
    api.close();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const at = Math.min(t0, r.body.revokedAt ? Date.parse(r.body.revokedAt) : t0);
    const last = await Promise.race([Promise.all(closed).then((t) => Math.max(...t)), new Promise<number>((res) => setTimeout(() => res(NaN), 10_000))]);
    assert.ok(last - at <= 2_000, `all ${live.length} connections closed ${last - at} ms after the revocation (bound 2000 ms)`);
    // both workers held some of them: each logs its own count under its own node id (the log
    // lines come through the serve process's stderr pipe, possibly after the closes were seen)
    const closedBy = () =>
      new Map(
        node!
          .stderr()
          .slice(logFrom)
          .split('\n')
          .filter((l) => l.includes('certificate revoked: connections closed'))
          .map((l) => JSON.parse(l) as { node: string; closed: number })
          .map((e) => [e.node, e.closed]),
      );
    await waitFor(async () => closedBy().size >= 2, 10_000, 50);
    const byNode = closedBy();
    assert.deepEqual([...byNode.keys()].map((n) => n.replace(/.*\//, '')).sort(), ['broker-0', 'broker-1']);
    assert.equal([...byNode.values()].reduce((a, b) => a + b, 0), live.length);
    assert.ok([...byNode.values()].every((n) => n > 0), `each worker closed some: ${JSON.stringify([...byNode])}`);
    for (let i = 0; i < 2; i++) {
      const after = await request(port, root, admins.alice, '/');
      after.sock.destroy();
      assert.equal(after.status, 403);
      assert.match(after.body, /certificate-revoked/);
    }
    const v = await runCli([...g, '--json', 'audit', 'verify'], env);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  test("the primary's /metrics sums every worker's counters in one exposition", async () => {
    // 2 refusals in the revocation test, 6 more here over new connections (round robin: both
    // workers); the primary serves no broker connection, so every count comes from a worker
    for (let i = 0; i < 6; i++) {
      const refused = await request(port, root, admins.alice, '/');
      refused.sock.destroy();
      assert.equal(refused.status, 403);
    }
    const res = await fetch(`${node!.addresses.admin}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const m = /^gatehouse_broker_requests_total\{route="-",outcome="certificate-revoked"\} (\d+)$/m.exec(text);
    assert.equal(m?.[1], '8', 'the sum over both workers');
    const helps = text.split('\n').filter((l) => l.startsWith('# HELP '));
    assert.equal(new Set(helps).size, helps.length, 'every metric once (aggregated, not concatenated)');
    assert.match(text, /^gatehouse_process_\w*cpu_seconds_total \d/m, 'process metrics too');
  });

  test('SIGTERM to the serve process stops every worker, then the primary exits 0', async () => {
    const workers = children(node!.proc.pid!);
    await node!.stop();
    assert.equal(node!.proc.signalCode, null, 'not killed after the grace period');
    assert.equal(node!.proc.exitCode, 0);
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
  });
});
