/**
 * The Gatehouse side of the enrollment benchmarks (EST, SCEP), beside gatehouse.ts (which runs
 * `--role ca` only): `gatehouse serve --role ca,enroll` with every listener on an ephemeral
 * loopback port, and the enrollment fixture written into the data directory beforehand.
 *
 * - serveEnroll(): the real command, configured through GATEHOUSE_* environment overrides as an
 *   operator could (EST port 0; `env` adds e.g. enrollment.scep.allowDesCbc); resolves with
 *   every address the node printed (http = SCEP + OCSP + CRL, est, api, admin).
 *   BENCH_CPU_PROF=<dir> makes it write a V8 CPU profile there when it stops.
 * - seedEnrollment(): N approved inventory devices with one one-time token each
 *   (enroll-seed-child.ts, the product's services in batched transactions), written BEFORE the
 *   node starts; returns `deviceId token` pairs in file order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEHOUSE } from '../../test/helpers/cli.ts';
import type { GhPki } from './gatehouse.ts';
import { log, runJson, sleep, start, type Started, type Wrap } from './proc.ts';

export interface EnrollServer extends Started {
  addresses: Record<string, string>;
}

export async function serveEnroll(pki: GhPki, o: { logDir: string; wrap?: Wrap; env?: Record<string, string>; name?: string }): Promise<EnrollServer> {
  const name = o.name ?? 'gatehouse-serve-enroll';
  const env = {
    GATEHOUSE_HTTP__PORT: '0',
    GATEHOUSE_API__PORT: '0',
    GATEHOUSE_ADMIN__PORT: '0',
    GATEHOUSE_ENROLLMENT__EST__PORT: '0',
    GATEHOUSE_LOG__LEVEL: 'warn',
    ...pki.env,
    ...o.env,
  };
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_CPU_PROF, name)}`] : [];
  const s = start(name, process.execPath, [...prof, GATEHOUSE, '--json', ...pki.g, 'serve', '--role', 'ca,enroll'], { logDir: o.logDir, env, ...(o.wrap ? { wrap: o.wrap } : {}) });
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const m = /\{[\s\S]*"addresses"[\s\S]*\}\s*$/.exec(s.output());
    if (m) {
      const addresses = (JSON.parse(m[0]) as { addresses: Record<string, string> }).addresses;
      log(`gatehouse serve (ca,enroll) up: ${Object.entries(addresses).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      return { ...s, addresses };
    }
    if (s.proc.exitCode !== null) break;
    await sleep(100);
  }
  await s.stop();
  throw new Error(`gatehouse serve --role ca,enroll did not start (see ${o.logDir}/${name}.log)`);
}

export interface Enrollee {
  deviceId: string;
  token: string;
}

/** N approved devices `<prefix>-1..N`, one one-time token each; run before serveEnroll(). */
export async function seedEnrollment(pki: GhPki, prefix: string, count: number): Promise<Enrollee[]> {
  const out = join(pki.dir, `tokens-${prefix}.txt`);
  const dataDir = pki.g[1]!;
  const r = await runJson<{ count: number; seconds: number }>(join(import.meta.dirname, 'enroll-seed-child.ts'), [JSON.stringify({ dataDir, prefix, count, out })], {
    env: pki.env,
    timeoutMs: 600_000,
  });
  log(`seeded ${r.count} approved devices with one-time tokens (${prefix}-*) in ${r.seconds.toFixed(1)} s`);
  return readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [deviceId, token] = l.split(' ');
      return { deviceId: deviceId!, token: token! };
    });
}
