/**
 * Benchmark `scep` (issue #3): SCEP PKCSReq enrollments, Gatehouse vs micromdm scepserver 2.1.
 *
 * How: setup.ts runs both servers in one private network namespace; the load generator
 * (load-child.ts, a separate process in the same namespace) keeps 4 HTTP connections busy
 * (the concurrency of the peer harness; scepserver's serial file is racy there, and every
 * CertRep FAILURE it returns is counted as failed, not as an enrollment). Messages are
 * pre-built between runs (build-child.ts, two processes, not timed) with the SAME pool of
 * RSA-2048 requester keys for both sides, each message unique (fresh CSR, envelope,
 * transactionID); for Gatehouse each carries one pre-made one-time token (one approved
 * inventory device each, seeded between runs), for scepserver the shared challenge and a
 * unique CN. Sizing: 1.5x the fastest rate seen so far; a run that uses them all ends there
 * and is measured up to that moment (noted).
 * Per round (BENCH_ROUNDS, default 3), alternated: Gatehouse, then scepserver; BENCH_SECONDS
 * (default 8) per run plus 1 s of warm-up. Figures: enrollments/s (target >= 2x) and server
 * CPU per enrollment from /proc over the whole run (target <= 0.5x scepserver's).
 * BENCH_CPU_PROF=<dir> writes a CPU profile of `gatehouse serve`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSide, pushLoad, series, type Benchmark, type Series } from '../lib/benchmark.ts';
import { procCpuMs, describeLoad, type LoadResult } from '../lib/load.ts';
import { seedEnrollment } from '../lib/gatehouse-enroll.ts';
import { createNetns, log, runJson, stopAll, type Wrap } from '../lib/proc.ts';
import { row } from '../lib/report.ts';
import { findOrInstall, missingNote, rounds, scratch, seconds } from '../lib/tools.ts';
import { CHALLENGE, setupScep, type ScepFixture, type ScepSide } from './setup.ts';

const CONC = 4;
const WARMUP = 1;
type Result = LoadResult & { failedTotal: number; exhausted: boolean; firstFailure: string | null };

const notes = new Set<string>();
const failed = new Map<string, number>();
const fastest: Record<string, number> = { gatehouse: 600, scepserver: 400 };

/** Builds `n` messages for one side in two parallel children; returns the message file. */
async function build(f: ScepFixture, side: ScepSide, tag: string, n: number, tokensFile?: string): Promise<string> {
  const half = Math.ceil(n / 2);
  const parts = [0, 1].map((k) => join(f.dir, `msgs-${tag}-${k}.bin`));
  const t0 = Date.now();
  await Promise.all(
    parts.map((out, k) => {
      const items = tokensFile ? { tokensFile } : { prefix: tag, challenge: CHALLENGE };
      const args = { keysFile: f.keysFile, recipientPem: side.recipientPem, out, ...items, from: k * half, to: Math.min(n, (k + 1) * half) };
      return runJson(join(import.meta.dirname, 'build-child.ts'), [JSON.stringify(args)], { timeoutMs: 900_000 });
    }),
  );
  const file = join(f.dir, `msgs-${tag}.bin`);
  writeFileSync(file, Buffer.concat(parts.map((p) => readFileSync(p))));
  log(`  built ${n} PKCSReq messages for ${side.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

async function measure(side: ScepSide, s: Series, wrap: Wrap, messagesFile: string, secs: number): Promise<void> {
  const u = new URL(side.url);
  const spec = { host: u.hostname, port: Number(u.port), path: u.pathname, connections: CONC, seconds: secs, warmupSeconds: WARMUP, messagesFile };
  const pid = side.server.proc.pid!;
  const c0 = procCpuMs(pid);
  const r = await runJson<Result>(join(import.meta.dirname, 'load-child.ts'), [JSON.stringify(spec)], { wrap, timeoutMs: (secs + WARMUP + 120) * 1000 });
  const cpu = (procCpuMs(pid) - c0) / r.okTotal;
  if (r.ok === 0 || r.errors + r.timeouts > r.ok * 0.05 || r.failedTotal > r.okTotal * 0.2)
    throw new Error(`${side.name}: ${r.ok} enrollments, ${r.failedTotal} FAILURE answers, ${r.errors} connection errors, ${r.timeouts} timeouts (first: ${r.firstFailure})`);
  if (r.failedTotal) failed.set(side.name, (failed.get(side.name) ?? 0) + r.failedTotal);
  if (r.exhausted) notes.add(`${side.name}: a run used up its pre-built messages and was measured up to that moment`);
  fastest[side.name] = Math.max(fastest[side.name]!, r.rps);
  log(`  ${side.name} PKCSReq c=${CONC}: ${describeLoad({ ...r, cpuMsPerOp: cpu })}${r.failedTotal ? `, ${r.failedTotal} FAILURE CertReps` : ''}`);
  pushLoad(s, { ...r, cpuMsPerOp: cpu });
}

const need = (name: string, secs: number) => Math.ceil(fastest[name]! * 1.5 * (secs + WARMUP)) + 50;

const bench: Benchmark = {
  name: 'scep',
  title: 'SCEP PKCSReq: RSA-2048 requesters, AES-128 + SHA-256, durable',
  about: 'SCEP PKCSReq enrollments/s and server CPU per enrollment vs micromdm scepserver',
  async run() {
    const sc = scratch('scep');
    const secs = seconds(8);
    const netns = await createNetns();
    if ('error' in netns) throw new Error(`scep needs a private network namespace for scepserver: ${netns.error}`);
    try {
      const bin = findOrInstall('scepserver', 'scep');
      if (!bin) notes.add(missingNote('scepserver', 'scep'));
      const f = await setupScep(sc.dir, netns.wrap, bin);
      const gh = series();
      const peer = series();
      for (let r = 1; r <= rounds(); r++) {
        log(`scep round ${r}/${rounds()}`);
        const n = need('gatehouse', secs);
        await seedEnrollment(f.pki, `scep${r}`, n);
        await measure(f.gh, gh, f.wrap, await build(f, f.gh, `gh${r}`, n, join(f.pki.dir, `tokens-scep${r}.txt`)), secs);
        if (f.peer) await measure(f.peer, peer, f.wrap, await build(f, f.peer, `peer${r}`, need('scepserver', secs)), secs);
      }
      for (const [name, n] of failed) notes.add(`${name}: ${n} CertRep FAILURE answers in total (not counted as enrollments)${name === 'scepserver' ? '; its depot serial file races at concurrency 4 (peers README)' : ''}`);
      notes.add(`same load both sides: ${CONC} keep-alive HTTP connections, pre-built unique PKCSReq messages from one pool of 16 RSA-2048 requester keys (self-signed signer certificates), AES-128-CBC envelope, SHA-256 signature; no client process start-up or key generation timed`);
      notes.add('Gatehouse: each request carries a one-time inventory token as challengePassword (consumed with the serial reservation, audited); scepserver: one shared challenge, certificates written to its file depot; both issue 365-day certificates (Gatehouse P-256 issuing CA + RSA RA; scepserver RSA-2048 CA)');
      notes.add('server and load generator share the 2 cores; server CPU per enrollment (from /proc) is the figure least sensitive to that');
      const p = f.peer ? { name: 'micromdm scepserver 2.1', ...peer } : null;
      const rows = [
        row({ operation: `PKCSReq enrollments, c=${CONC}`, unit: 'enroll/s', gatehouse: { name: 'gatehouse serve /scep', ...gh }, peer: p, target: { ratio: 2 } }),
        row({ operation: 'server CPU per enrollment', unit: 'ms', higherIsBetter: false, gatehouse: cpuSide('gatehouse serve', gh), peer: p && cpuSide('scepserver', peer), target: { ratio: 2, label: "<= 0.5x scepserver's" } }),
      ];
      return { rows, limits: [], notes: [...notes] };
    } finally {
      await stopAll();
      await netns.close();
      sc.cleanup();
    }
  },
};
export default bench;
