/**
 * MAB measurements, the same for both servers: radclient (freeradius-utils, C) and our Node UDP
 * generator (radload.ts), each with 32 outstanding Access-Requests over the inventory's MACs.
 *
 * - checkMab(): before any timing, one known MAC -> Access-Accept with Tunnel-Private-Group-Id
 *   "120" and an unknown MAC -> Access-Reject, read from `radclient -x`, on each server.
 * - radclientRun(): `radclient -f <requests> -c <repeat> -p 32 -r 1 -t 3 -q -s`; the file holds one
 *   request per MAC with `Message-Authenticator = 0x00` (radclient computes it); throughput =
 *   Accepted / wall time of the run, server CPU = /proc CPU time of the server over the run /
 *   Accepted. radclient verifies every Response Authenticator; it reports no latency.
 * - nodeRun(): radload.ts for a fixed time after a warm-up; Accepts with the right VLAN counted,
 *   p50/p99, server CPU / every checked Accept (warm-up included).
 * A run with lost, rejected or bad answers beyond 0.1% throws: a broken server is not a figure.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { procCpuMs } from '../lib/load.ts';
import { log, run, runJson } from '../lib/proc.ts';
import { SECRET, VLAN } from './setup.ts';

export const CONC = 32;
const RADLOAD = join(import.meta.dirname, 'radload.ts');

const mabRequest = (mac: string, ma = true) =>
  [
    `User-Name = "${mac}"`,
    `User-Password = "${mac}"`,
    'Service-Type = Call-Check',
    `Calling-Station-Id = "${mac}"`,
    'NAS-IP-Address = 127.0.0.1',
    'NAS-Port-Type = Ethernet',
    ...(ma ? ['Message-Authenticator = 0x00'] : []),
  ].join('\n') + '\n';

export function writeRequests(dir: string, macs: string[]): string {
  const file = join(dir, 'mab-requests.txt');
  writeFileSync(file, macs.map((m) => mabRequest(m)).join('\n'));
  return file;
}

export async function checkMab(radclient: string, who: string, port: number, mac: string): Promise<void> {
  const ok = await run(radclient, ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port}`, 'auth', SECRET], { input: mabRequest(mac), stderr: true });
  if (!/Received Access-Accept/.test(ok) || !new RegExp(`Tunnel-Private-Group-Id(:0)? = "${VLAN}"`).test(ok))
    throw new Error(`${who}: MAB for ${mac} did not return Access-Accept with VLAN ${VLAN}:\n${ok.slice(-1500)}`);
  const no = await run(radclient, ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port}`, 'auth', SECRET], { input: mabRequest('02-ff-ff-ff-ff-ff'), stderr: true }).catch((e: Error) => e.message);
  if (!/Received Access-Reject/.test(no)) throw new Error(`${who}: an unknown MAC was not rejected:\n${no.slice(-1500)}`);
  log(`  ${who}: MAB check OK (known MAC -> Accept, VLAN ${VLAN}; unknown MAC -> Reject)`);
}

export interface MabRun {
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerOp: number;
}

function guard(what: string, ok: number, failed: number): void {
  if (ok === 0 || failed > ok / 1000) throw new Error(`${what}: ${ok} accepted, ${failed} lost/rejected/bad`);
}

export async function radclientRun(radclient: string, port: number, file: string, repeat: number, pid: number, what: string): Promise<MabRun> {
  const c0 = procCpuMs(pid);
  const t0 = performance.now();
  const out = await run(radclient, ['-f', file, '-c', String(repeat), '-p', String(CONC), '-r', '1', '-t', '3', '-q', '-s', `127.0.0.1:${port}`, 'auth', SECRET], { stderr: true, timeoutMs: 300_000 }).catch((e: Error) => e.message);
  const secs = (performance.now() - t0) / 1000;
  const c1 = procCpuMs(pid);
  const num = (k: string) => Number(new RegExp(`${k}\\s*:\\s*(\\d+)`).exec(out)?.[1] ?? NaN);
  const accepted = num('Accepted');
  guard(`${what} (radclient)`, accepted, num('Rejected') + num('Lost'));
  const r = { rps: accepted / secs, p50: NaN, p99: NaN, cpuMsPerOp: (c1 - c0) / accepted };
  log(`  ${what} radclient: ${Math.round(r.rps).toLocaleString('en-US')}/s (${accepted} in ${secs.toFixed(2)} s), server CPU ${r.cpuMsPerOp.toFixed(4)} ms/req`);
  return r;
}

interface RadloadResult {
  rps: number;
  ok: number;
  okTotal: number;
  rejects: number;
  bad: number;
  timeouts: number;
  p50: number;
  p99: number;
}

export async function nodeRun(port: number, macs: string[], seconds: number, pid: number, what: string): Promise<MabRun> {
  const spec = { port, secret: SECRET, macs, conc: CONC, seconds, warmupSeconds: 1, vlan: VLAN };
  const c0 = procCpuMs(pid);
  const r = await runJson<RadloadResult>(RADLOAD, [JSON.stringify(spec)], { timeoutMs: (seconds + 60) * 1000 });
  const c1 = procCpuMs(pid);
  guard(`${what} (node generator)`, r.ok, r.rejects + r.bad + r.timeouts);
  const out = { rps: r.rps, p50: r.p50, p99: r.p99, cpuMsPerOp: (c1 - c0) / r.okTotal };
  log(`  ${what} node generator: ${r.rps.toLocaleString('en-US')}/s p50 ${r.p50} ms p99 ${r.p99} ms, server CPU ${out.cpuMsPerOp.toFixed(4)} ms/req`);
  return out;
}
