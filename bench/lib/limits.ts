/**
 * Physical limits printed beside the tables (BENCHMARKS.md): what one core of this machine can
 * sign, so a certs/s or responses/s figure can be read against the ceiling.
 *
 * How: `openssl speed -seconds 3 ecdsap256` (one core; sign/s and verify/s parsed from its
 * table) and Node's synchronous crypto.sign / crypto.verify with one P-256 KeyObject over a
 * 64-byte message for 2 s each, in batches of 20 between clock reads, in a child process (this
 * file run as a script). Measured once per `npm run bench` (memoised), at the start,
 * before any server runs; also selectable alone as `npm run bench limits`.
 * Derived: one issuance needs one CSR verify + one certificate sign, so a core issues at most
 * 1 / (1/sign + 1/verify) certificates per second.
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { run, runJson } from './proc.ts';
import type { Limit } from './report.ts';
import { summarize } from './stats.ts';
import { findOrInstall } from './tools.ts';

export interface Limits {
  opensslSign: number;
  opensslVerify: number;
  nodeSign: number;
  nodeVerify: number;
}

let memo: Promise<Limits> | null = null;

export async function opensslSpeed(): Promise<{ sign: number; verify: number }> {
  const openssl = findOrInstall('openssl', 'openssl');
  if (!openssl) return { sign: NaN, verify: NaN };
  const out = await run(openssl, ['speed', '-seconds', '3', 'ecdsap256']);
  const line = out.split('\n').find((l) => /ecdsa \(nistp256\)/.test(l));
  const nums = line?.trim().split(/\s+/).slice(-2).map(Number) ?? [NaN, NaN];
  return { sign: nums[0]!, verify: nums[1]! };
}

/** Node's ceiling, measured in a child process (this file run as a script, see the end). */
export const nodeSpeed = (secs = 2): Promise<{ sign: number; verify: number }> =>
  runJson<{ sign: number; verify: number }>(import.meta.filename, [String(secs)]);

export function measureLimits(): Promise<Limits> {
  memo ??= (async () => {
    const o = await opensslSpeed();
    const n = await nodeSpeed();
    return { opensslSign: o.sign, opensslVerify: o.verify, nodeSign: n.sign, nodeVerify: n.verify };
  })();
  return memo;
}

/** Lets the `limits` benchmark hand its medians to the later benchmarks of the same run. */
export function setLimits(l: Limits): void {
  memo = Promise.resolve(l);
}

const one = (name: string, v: number, unit: string): Limit => ({ name, value: summarize([v]), unit });

/** Limits relevant to issuance (sign + verify per certificate). */
export function issuanceLimits(l: Limits): Limit[] {
  const perCert = (s: number, v: number) => 1 / (1 / s + 1 / v);
  return [
    one('openssl speed ecdsap256 sign (1 core)', l.opensslSign, '/s'),
    one('openssl verify (1 core)', l.opensslVerify, '/s'),
    one('Node crypto.sign P-256 sync (1 thread)', l.nodeSign, '/s'),
    one('Node verify', l.nodeVerify, '/s'),
    one('=> Node verify+sign per cert, 1 core', perCert(l.nodeSign, l.nodeVerify), 'certs/s'),
  ];
}

/** Limits relevant to OCSP (one signature per live response). */
export function ocspLimits(l: Limits): Limit[] {
  return [one('openssl speed ecdsap256 sign (1 core)', l.opensslSign, '/s'), one('Node crypto.sign P-256 sync (1 thread)', l.nodeSign, '/s')];
}

/** Child mode: `node --import tsx bench/lib/limits.ts <seconds>` prints {"sign": n/s, "verify": n/s}. */
function rate(secs: number, op: () => void): number {
  for (let i = 0; i < 200; i++) op(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let now = t0;
  while (now < t0 + secs * 1000) {
    for (let i = 0; i < 20; i++) op();
    n += 20;
    now = performance.now();
  }
  return Math.round((n * 1000) / (now - t0));
}

if (process.argv[1] === import.meta.filename) {
  const secs = Number(process.argv[2] ?? 2);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = randomBytes(64);
  const sig = sign('sha256', data, privateKey);
  const out = { sign: rate(secs, () => sign('sha256', data, privateKey)), verify: rate(secs, () => verify('sha256', data, publicKey, sig)) };
  console.log(JSON.stringify(out));
}
