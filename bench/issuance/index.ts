/**
 * Benchmark `issuance` (issue #2): P-256 CSR -> durably stored device-tls certificate.
 *
 * How, per round (BENCH_ROUNDS, default 3), A and B alternated:
 *   1. Gatehouse in-process: CaService.issue() at concurrency 64 on SQLite (WAL, synchronous=FULL)
 *      and on PostgreSQL (fresh schema), each in its own child process (inproc-child.ts).
 *   2. Gatehouse over HTTP: `gatehouse serve` admin API POST /api/v1/certificates, mutual TLS,
 *      keep-alive, 16 connections (autocannon in a separate process).
 *   3. cfssl serve /api/v1/cfssl/sign + sqlite certdb (durable), then without a database
 *      (signing only), same CSR bytes, same 16 connections, same P-256 issuing key.
 * Each run has a warm-up (discarded: 1 s HTTP, 2 s in-process) and BENCH_SECONDS (default 8) of
 * measurement. Besides certs/s, every side's CPU per certificate (server process, all threads)
 * is reported: on this shared, noisy machine it moves far less than throughput does.
 * Targets: >= 2,000 durably stored certs/s, >= 3x cfssl with its database; heading for cfssl's
 * no-database figure. Limits: openssl speed / Node crypto.sign (lib/limits.ts).
 * BENCH_CPU_PROF=<dir> writes .cpuprofile files of the in-process children and of the server.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cpuSide, pushLoad as push, series, type Benchmark } from '../lib/benchmark.ts';
import { issuanceLimits } from '../lib/limits.ts';
import { checkLoad, describeLoad, runLoad, type LoadResult } from '../lib/load.ts';
import { log, runJson, stopAll } from '../lib/proc.ts';
import { row } from '../lib/report.ts';
import { findOrInstall, missingNote, rounds, scratch, seconds } from '../lib/tools.ts';
import { cfsslLoad, ghLoad, setupIssuance } from './setup.ts';

interface InprocResult {
  db: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  firstError: string | null;
  avgGroupSize: number;
  cpuMsPerOp: number;
  stored: number;
  expectedStored: number;
}

function pgReachable(): boolean {
  try {
    execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-t', '3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function inproc(kind: 'sqlite' | 'pg', csrDerFile: string, secs: number): Promise<InprocResult> {
  const prof = process.env.BENCH_CPU_PROF;
  const r = await runJson<InprocResult>(join(import.meta.dirname, 'inproc-child.ts'), [JSON.stringify({ concurrency: 64, seconds: secs, warmupSeconds: 2, csrDerFile })], {
    env: kind === 'pg' ? { GATEHOUSE_TEST_DB: 'pg' } : { GATEHOUSE_TEST_DB: 'sqlite' },
    ...(prof ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(prof, `issuance-${kind}`)}`] } : {}),
  });
  if (r.failed > 0) throw new Error(`in-process ${kind}: ${r.failed} issuances failed: ${r.firstError}`);
  if (r.stored !== r.expectedStored) throw new Error(`in-process ${kind}: ${r.stored} rows stored, ${r.expectedStored} issued`);
  log(`  in-process ${kind}: ${Math.round(r.rps)} certs/s p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms, CPU ${r.cpuMsPerOp.toFixed(3)} ms/cert (avg group ${r.avgGroupSize.toFixed(1)} writes; ${r.stored} rows stored = issued)`);
  return r;
}

const failures = new Map<string, number>();

async function http(what: string, spec: Parameters<typeof runLoad>[0], pid: number | undefined): Promise<LoadResult & { cpuMsPerOp: number }> {
  const r = await runLoad(spec, undefined, pid);
  checkLoad(what, r);
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad) failures.set(what, (failures.get(what) ?? 0) + bad);
  log(`  ${what}: ${describeLoad(r)}`);
  return r;
}

const bench: Benchmark = {
  name: 'issuance',
  title: 'Issuance: P-256 CSR -> durably stored device-tls certificate',
  about: 'ca.issue in-process (SQLite, PostgreSQL) and admin API over mTLS vs cfssl serve (+/- certdb)',
  async run(ctx) {
    const s = scratch('issuance');
    const secs = seconds(8);
    const notes: string[] = [];
    try {
      const cfssl = findOrInstall('cfssl', 'golang-cfssl');
      if (!cfssl) notes.push(missingNote('cfssl', 'golang-cfssl'));
      const pg = pgReachable();
      if (!pg) notes.push('PostgreSQL at 127.0.0.1:5432 not reachable: in-process PostgreSQL not measured');
      const limits = await ctx.limits();
      const f = await setupIssuance(s.dir, cfssl);
      const sq = series();
      const pq = series();
      const gh = series();
      const cdb = series();
      const cno = series();
      for (let r = 1; r <= rounds(); r++) {
        log(`issuance round ${r}/${rounds()}`);
        push(sq, await inproc('sqlite', f.csrDerFile, secs));
        if (pg) push(pq, await inproc('pg', f.csrDerFile, secs));
        push(gh, await http('gatehouse admin API (mTLS, c=16)', ghLoad(f, 16, secs), f.gh.proc.pid));
        if (f.cfsslDb) push(cdb, await http('cfssl serve + sqlite certdb (c=16)', cfsslLoad(f.cfsslDb, f, 16, secs), f.cfsslDb.proc.pid));
        if (f.cfsslNoDb) push(cno, await http('cfssl serve, no db (c=16)', cfsslLoad(f.cfsslNoDb, f, 16, secs), f.cfsslNoDb.proc.pid));
      }
      for (const [what, n] of failures) notes.push(`${what}: ${n} failed requests over all rounds (not counted as certificates)`);
      const stored = f.cfsslDb?.stored();
      if (stored != null) notes.push(`cfssl certdb rows after the run: ${stored} (every 2xx answer was stored before it was sent)`);
      notes.push('Gatehouse HTTP pays TLS (mutual, keep-alive) and a live status check of the admin certificate per request; cfssl serve is plain HTTP without authentication.');
      notes.push('in-process rows have no in-process peer: the ratio is against cfssl serve + certdb over HTTP (the durable figure the target names).');
      const peerDb = f.cfsslDb ? { name: 'cfssl serve + sqlite certdb, HTTP c=16', ...cdb } : null;
      const peerNo = f.cfsslNoDb ? { name: 'cfssl serve, no db (signing only), HTTP c=16', ...cno } : null;
      const rows = [
        row({ operation: 'ca.issue in-process, SQLite WAL FULL, c=64', unit: 'certs/s', gatehouse: { name: 'CaService', ...sq }, peer: peerDb, target: { min: 2000, ratio: 3 } }),
        ...(pg ? [row({ operation: 'ca.issue in-process, PostgreSQL, c=64', unit: 'certs/s', gatehouse: { name: 'CaService', ...pq }, peer: peerDb, target: { min: 2000, ratio: 3 } })] : []),
        row({ operation: 'admin API POST /api/v1/certificates, mTLS, c=16 vs cfssl + certdb', unit: 'certs/s', gatehouse: { name: 'gatehouse serve', ...gh }, peer: peerDb, target: { min: 2000, ratio: 3 } }),
        row({ operation: 'admin API, c=16 vs cfssl WITHOUT database', unit: 'certs/s', gatehouse: { name: 'gatehouse serve', ...gh }, peer: peerNo, target: { ratio: 1, label: 'heading for 1.0x' } }),
        // CPU per certificate: robust against the machine's background load
        row({ operation: 'CPU per cert: in-process SQLite vs cfssl+certdb server', unit: 'ms', higherIsBetter: false, gatehouse: cpuSide('CaService (all threads)', sq), peer: peerDb && cpuSide('cfssl serve process', cdb) }),
        row({ operation: 'CPU per cert: gatehouse serve vs cfssl+certdb server', unit: 'ms', higherIsBetter: false, gatehouse: cpuSide('gatehouse serve process', gh), peer: peerDb && cpuSide('cfssl serve process', cdb) }),
        row({ operation: 'CPU per cert: gatehouse serve vs cfssl without db', unit: 'ms', higherIsBetter: false, gatehouse: cpuSide('gatehouse serve process', gh), peer: peerNo && cpuSide('cfssl serve process', cno) }),
      ];
      return { rows, limits: issuanceLimits(limits), notes };
    } finally {
      await stopAll();
      s.cleanup();
    }
  },
};
export default bench;
