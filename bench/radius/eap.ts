/**
 * EAP-TLS measurements, the same for both servers: full authentications by `eapol_test`
 * (wpa_supplicant's RADIUS test client, Debian eapoltest), `PAR` processes at a time.
 *
 * - Each supplicant is one 802.1X device of the fixture: its P-256 certificate (leaf + issuing CA)
 *   and key, trusting the root + issuing CA; TLS 1.3 runs add phase1="tls_disable_tlsv1_3=0"
 *   (eapol_test stays at TLS 1.2 otherwise). Every eapol_test is a new process without a session
 *   cache, and FreeRADIUS's cache is off: every authentication is a full handshake on both sides.
 * - checkEap(): before any timing, one authentication per server and TLS version must report
 *   SUCCESS, the negotiated TLS version, `MPPE keys OK` and Tunnel-Private-Group-Id 120.
 * - eapol_test runs through radius-tools.ts run() as in the interop tests (asynchronous, stdout
 *   and stderr kept, SIGKILL after 30 s), with no stdin (input null: /dev/null, no pipe).
 * - eapRun(): PAR loops start eapol_test back to back for `seconds`; successes / wall time until the
 *   last one ends, p50/p99 of one authentication's wall time, and the server's CPU time over the
 *   run / successes (the figure that matters: the run is bound by eapol_test's own CPU, which
 *   shares the two cores with the server).
 */
import { eapolConf, parseEapol, run } from '../../test/interop/radius-tools.ts';
import { procCpuMs } from '../lib/load.ts';
import { log } from '../lib/proc.ts';
import { percentile } from '../lib/stats.ts';
import { SECRET, VLAN, type RadiusFixture } from './setup.ts';

export const PAR = 4;

export function writeConfs(dir: string, f: RadiusFixture, tls13: boolean): string[] {
  return f.clients.map((c) => eapolConf(dir, `${c.id}-${tls13 ? 'tls13' : 'tls12'}`, { ca: f.caFile, cert: c.certFile, key: c.keyFile }, { tls13, identity: c.id }));
}

const args = (conf: string, port: number, i: number) => ['-c', conf, '-a', '127.0.0.1', '-p', String(port), '-s', SECRET, '-r', '0', '-t', '10', '-M', `02:00:01:00:00:${(i & 255).toString(16).padStart(2, '0')}`];

export async function checkEap(bin: string, who: string, port: number, conf: string, tls13: boolean): Promise<void> {
  const r = parseEapol(await run(bin, args(conf, port, 0), null));
  const version = tls13 ? 'TLSv1.3' : 'TLSv1.2';
  if (!r.success || !r.mppeOk || r.tlsVersion !== version || r.vlan !== String(VLAN))
    throw new Error(`${who}: EAP-TLS ${version} check failed (success ${r.success}, MPPE ${r.mppeOk}, ${r.tlsVersion}, VLAN ${r.vlan}):\n${r.out.slice(-2500)}`);
  log(`  ${who}: EAP-TLS ${version} check OK (SUCCESS, MPPE keys OK, VLAN ${VLAN})`);
}

export interface EapRun {
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerOp: number;
}

export async function eapRun(bin: string, port: number, confs: string[], seconds: number, pid: number, what: string): Promise<EapRun> {
  const lat: number[] = [];
  let fails = 0;
  let seq = 0;
  let lastOut = '';
  const c0 = procCpuMs(pid);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const i = seq++;
      const s = performance.now();
      const r = await run(bin, args(confs[i % confs.length]!, port, i), null);
      if (r.code === 0 && /^SUCCESS$/m.test(r.out)) lat.push(performance.now() - s);
      else {
        fails++;
        lastOut = r.out;
      }
    }
  };
  await Promise.all(Array.from({ length: PAR }, loop));
  const secs = (performance.now() - t0) / 1000;
  const c1 = procCpuMs(pid);
  if (lat.length === 0 || fails > lat.length / 100) throw new Error(`${what}: ${lat.length} successes, ${fails} failures; last output:\n${lastOut.slice(-2000)}`);
  lat.sort((a, b) => a - b);
  const r = { rps: lat.length / secs, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), cpuMsPerOp: (c1 - c0) / lat.length };
  log(`  ${what}: ${r.rps.toFixed(1)} auth/s (${lat.length} in ${secs.toFixed(2)} s${fails ? `, ${fails} failed` : ''}), p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms, server CPU ${r.cpuMsPerOp.toFixed(2)} ms/auth`);
  return r;
}
