/**
 * Benchmark `radius` (issue #4): MAB Access-Requests/s and full EAP-TLS authentications/s,
 * Gatehouse's RADIUS bridge (`gatehouse serve --role radius`) against FreeRADIUS 3.2 (Debian).
 *
 * How: setup.ts builds the Gatehouse side through the CLI and admin API (segment with VLAN 120,
 * 1000 MAB-only devices with MACs, 16 approved 802.1X devices with P-256 certificates) and issues
 * FreeRADIUS's server certificate from the same CA; freeradius.ts writes FreeRADIUS's users file
 * (PAP password = MAC, the same VLAN reply) and EAP-TLS config (same CA, session cache off).
 * Both get one NAS 127.0.0.1 with the same secret and Message-Authenticator required. Before any
 * timing each server answers checked requests (mab.ts, eap.ts). Then per round (BENCH_ROUNDS,
 * default 3), alternated A/B with the order swapped every round:
 *   MAB, radclient -p 32 (C) and our Node generator with 32 outstanding (radload.ts, p50/p99);
 *   EAP-TLS TLS 1.2 and TLS 1.3 with 4 parallel eapol_test processes.
 * BENCH_SECONDS (default 5) per MAB run, twice that per EAP-TLS run; server CPU per operation
 * from /proc for both sides. BENCH_RADIUS_PARTS=mab|eap runs one part (profiling:
 * BENCH_CPU_PROF=<dir> profiles the Gatehouse process; lib/cpuprofile-top.ts reads it).
 * Targets (issue #4): MAB >= 1.0x; EAP-TLS server CPU per auth <= FreeRADIUS's, auth/s >= 1.0x.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pushLoad, series, type Benchmark, type Series } from '../lib/benchmark.ts';
import { freePort, log, stopAll } from '../lib/proc.ts';
import { row, type Limit } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';
import { findOrInstall, missingNote, rounds, scratch, seconds } from '../lib/tools.ts';
import { checkEap, eapRun, PAR, writeConfs } from './eap.ts';
import { startFreeRadius, writeRaddb, type FreeRadius } from './freeradius.ts';
import { checkMab, CONC, nodeRun, radclientRun, writeRequests } from './mab.ts';
import { serveRadius, setupFixture } from './setup.ts';

const N_MAC = 1000;
const N_EAP = 16;

type Side = 'gh' | 'fr';
type Task = (side: Side, port: number, pid: number, name: string) => Promise<void>;

const bench: Benchmark = {
  name: 'radius',
  title: 'RADIUS: MAB Access-Requests/s and full EAP-TLS authentications/s',
  about: 'Gatehouse RADIUS bridge vs FreeRADIUS 3.2: MAB (radclient, Node generator) and EAP-TLS 1.2/1.3 (eapol_test x4)',
  async run(ctx) {
    const sc = scratch('radius');
    const secs = seconds(5);
    const parts = (process.env.BENCH_RADIUS_PARTS ?? 'mab,eap').split(',');
    const notes: string[] = [];
    try {
      const logDir = join(sc.dir, 'logs');
      mkdirSync(logDir, { recursive: true });
      const freeradius = findOrInstall('freeradius', 'freeradius');
      const radclient = findOrInstall('radclient', 'freeradius-utils');
      const eapol = findOrInstall('eapol_test', 'eapoltest');
      if (!freeradius) notes.push(missingNote('freeradius', 'freeradius'));
      if (!radclient) notes.push(missingNote('radclient', 'freeradius-utils'));
      if (!eapol) notes.push(missingNote('eapol_test', 'eapoltest'));
      const limits = await ctx.limits();
      const f = await setupFixture(sc.dir, logDir, N_MAC, N_EAP);
      const gh = await serveRadius(f, logDir);
      let fr: FreeRadius | null = null;
      if (freeradius) {
        const port = freePort();
        fr = await startFreeRadius(freeradius, await writeRaddb(freeradius, join(sc.dir, 'freeradius'), f, port), port, logDir);
        log(`freeradius up: udp 127.0.0.1:${port} (pid ${fr.proc.pid})`);
      }
      const servers: Array<[Side, number, number, string]> = [['gh', gh.port, gh.proc.pid!, 'gatehouse']];
      if (fr) servers.push(['fr', fr.port, fr.proc.pid!, 'freeradius']);

      const mabFile = writeRequests(sc.dir, f.macs);
      const eapDir = join(sc.dir, 'eapol');
      mkdirSync(eapDir, { recursive: true });
      const confs = { 12: writeConfs(eapDir, f, false), 13: writeConfs(eapDir, f, true) };
      for (const [, port, , name] of servers) {
        if (parts.includes('mab') && radclient) await checkMab(radclient, name, port, f.macs[0]!);
        if (parts.includes('eap') && eapol) for (const v of [12, 13] as const) await checkEap(eapol, name, port, confs[v][0]!, v === 13);
      }

      const s = { rcGh: series(), rcFr: series(), ndGh: series(), ndFr: series(), e12Gh: series(), e12Fr: series(), e13Gh: series(), e13Fr: series() };
      const pick = (side: Side, a: Series, b: Series) => (side === 'gh' ? a : b);
      const tasks: Array<[string, Task]> = [];
      if (parts.includes('mab')) {
        const repeat = Math.max(1, Math.ceil((secs * 25_000) / N_MAC));
        if (radclient) tasks.push(['MAB radclient', async (side, port, pid, name) => pushLoad(pick(side, s.rcGh, s.rcFr), await radclientRun(radclient, port, mabFile, repeat, pid, name))]);
        tasks.push(['MAB node', async (side, port, pid, name) => pushLoad(pick(side, s.ndGh, s.ndFr), await nodeRun(port, f.macs, secs, pid, name))]);
      }
      if (parts.includes('eap') && eapol) {
        for (const v of [12, 13] as const) {
          const [a, b] = v === 12 ? [s.e12Gh, s.e12Fr] : [s.e13Gh, s.e13Fr];
          tasks.push([`EAP-TLS 1.${v - 10}`, async (side, port, pid, name) => pushLoad(pick(side, a, b), await eapRun(eapol, port, confs[v], secs * 2, pid, `${name} EAP-TLS 1.${v - 10}`))]);
        }
      }
      log('radius: warm-up (JIT, caches), not recorded');
      for (const [, port, pid, name] of servers) {
        if (parts.includes('mab')) await nodeRun(port, f.macs, 2, pid, `${name} warm-up`);
        if (parts.includes('eap') && eapol) for (const v of [12, 13] as const) await eapRun(eapol, port, confs[v], 3, pid, `${name} warm-up TLS 1.${v - 10}`);
      }
      for (let r = 1; r <= rounds(); r++) {
        log(`radius round ${r}/${rounds()}`);
        const order = r % 2 ? servers : [...servers].reverse();
        for (const [, task] of tasks) for (const [side, port, pid, name] of order) await task(side, port, pid, name);
      }

      const GH = 'gatehouse serve --role radius';
      const FR = 'freeradius 3.2 (-f)';
      const side = (name: string, x: Series, used: boolean) => (used && x.values.length ? { name, ...x } : null);
      const cpu = (name: string, x: Series) => (x.cpu.length ? { name, values: x.cpu } : null);
      const rows = [];
      if (parts.includes('mab')) {
        rows.push(
          row({ operation: `MAB Access-Requests, radclient -p ${CONC}`, unit: 'req/s', gatehouse: side(GH, s.rcGh, true), peer: side(FR, s.rcFr, !!fr), target: { ratio: 1 } }),
          row({ operation: `MAB Access-Requests, Node generator (${CONC} outstanding)`, unit: 'req/s', gatehouse: side(GH, s.ndGh, true), peer: side(FR, s.ndFr, !!fr), target: { ratio: 1 } }),
          row({ operation: 'server CPU per MAB request (radclient runs)', unit: 'ms', higherIsBetter: false, gatehouse: cpu(GH, s.rcGh), peer: cpu(FR, s.rcFr) }),
          row({ operation: 'server CPU per MAB request (Node generator runs)', unit: 'ms', higherIsBetter: false, gatehouse: cpu(GH, s.ndGh), peer: cpu(FR, s.ndFr) }),
        );
      }
      if (parts.includes('eap')) {
        for (const [v, a, b] of [['1.2', s.e12Gh, s.e12Fr], ['1.3', s.e13Gh, s.e13Fr]] as const) {
          rows.push(
            row({ operation: `EAP-TLS ${v} full authentications, ${PAR} x eapol_test`, unit: 'auth/s', gatehouse: side(GH, a, true), peer: side(FR, b, !!fr), target: { ratio: 1 } }),
            row({ operation: `server CPU per EAP-TLS ${v} authentication`, unit: 'ms', higherIsBetter: false, gatehouse: cpu(GH, a), peer: cpu(FR, b), target: { ratio: 1, label: "<= FreeRADIUS's (ratio >= 1.0x)" } }),
          );
        }
      }
      const one = (name: string, v: number, unit: string): Limit => ({ name, value: summarize([v]), unit });
      const lim: Limit[] = [
        one('Node crypto.sign P-256 (1 thread)', limits.nodeSign, '/s'),
        one('Node crypto.verify P-256 (1 thread)', limits.nodeVerify, '/s'),
        one('=> EAP-TLS server crypto floor (1 sign + 2 verifies per full handshake, 1 core)', 1 / (1 / limits.nodeSign + 2 / limits.nodeVerify), 'auth/s'),
      ];
      notes.push(
        `2 cores SHARED by the server under test and its load (radclient / Node generator / ${PAR} eapol_test processes), the same split for both sides; FreeRADIUS runs a thread pool (both cores), Gatehouse one Node process`,
        `same inventory on both sides: ${N_MAC} MACs (users file with PAP password = MAC on FreeRADIUS; MAB-only devices in segment "bench" on Gatehouse), reply VLAN 120 as RFC 3580 tunnel attributes; Gatehouse also checks the device state and adds User-Name/Class`,
        'Message-Authenticator sent by both load generators and required by both servers (BlastRADIUS); the Node generator verifies every Response Authenticator and the VLAN, radclient verifies the Response Authenticator',
        `EAP-TLS: ${N_EAP} P-256 client certificates and both servers' P-256 certificates from Gatehouse's issuing CA; every eapol_test is a new process (no resumption), FreeRADIUS's session cache off; Gatehouse also checks live revocation and inventory at every Accept, FreeRADIUS checks neither (check_crl = no, no OCSP)`,
        'EAP-TLS throughput is bound by eapol_test (a process per authentication on the same cores): compare server CPU per authentication',
        'radclient -p busy-polls (about 20 zero-timeout pselect6 calls per request, strace -c): it keeps one core busy, which costs a single-process server more than a thread pool; the Node generator blocks in epoll',
      );
      return { rows, limits: lim, notes };
    } finally {
      await stopAll();
      sc.cleanup();
    }
  },
};
export default bench;
