/**
 * Benchmark `est` (issue #3): EST simpleenroll, P-256 CSR, one-time token over HTTP Basic bound
 * to the TLS channel (the default; enrollment.est.allowUnboundBasic stays off), durable store.
 *
 * How (setup.ts builds the fixture; every load comes from OUR generator, load-child.ts, a
 * separate process on the same 2 cores as the servers, identical for both sides of a row):
 *   (a) keep-alive, c=16: Gatehouse EST over HTTPS vs `cfssl serve` sign API with its sqlite
 *       certdb over plain HTTP (the same CSR key). Target >= 2x.
 *   (b) one NEW TLS connection per enrollment (as devices enroll), c=16, vs a bare Node TLS
 *       server doing only full handshakes with Gatehouse's own EST certificate (tls-server.ts),
 *       measured in the same rounds. Target >= 0.8x the handshake rate.
 *   (b') simplereenroll, new MUTUAL TLS connection each (the device certificate from the check)
 *       vs the bare handshake with a required client certificate. Informational.
 * Rounds alternate A/B (BENCH_ROUNDS, default 3; BENCH_SECONDS per run, default 8, plus 1 s of
 * warm-up). Every enrollment consumes its own pre-made token: before each run, tokens for
 * 1.5x the fastest rate seen so far are seeded (not timed); a run that still uses them all up
 * ends there and is measured up to that moment (noted). Server CPU per operation is read from
 * /proc over the whole run (lib/load.ts procCpuMs), warm-up included.
 * BENCH_CPU_PROF=<dir> writes a CPU profile of `gatehouse serve`.
 */
import { join } from 'node:path';
import { cpuSide, pushLoad, series, type Benchmark, type Series } from '../lib/benchmark.ts';
import { issuanceLimits } from '../lib/limits.ts';
import { checkLoad, describeLoad, procCpuMs, type LoadResult } from '../lib/load.ts';
import { log, runJson, stopAll } from '../lib/proc.ts';
import { row, type Limit } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';
import { findOrInstall, missingNote, rounds, scratch, seconds } from '../lib/tools.ts';
import type { EstLoadSpec } from './load-child.ts';
import { setupEst, type EstFixture } from './setup.ts';
import { signBody } from '../lib/cfssl.ts';

const CONC = 16;
const WARMUP = 1;
type Result = LoadResult & { exhausted: boolean; resumed: number; firstFailure: string | null };

const notes = new Set<string>();
/** Fastest rate seen per side, for sizing the next run's tokens (first guesses: generous). */
const fastest: Record<string, number> = { ka: 2500, nc: 900 };

async function measure(what: string, s: Series, spec: EstLoadSpec, pid: number | undefined): Promise<Result> {
  const c0 = pid ? procCpuMs(pid) : NaN;
  const r = await runJson<Result>(join(import.meta.dirname, 'load-child.ts'), [JSON.stringify(spec)], { timeoutMs: (spec.seconds + spec.warmupSeconds + 120) * 1000 });
  const cpu = pid ? (procCpuMs(pid) - c0) / r.okTotal : NaN;
  checkLoad(what, r);
  if (r.resumed) throw new Error(`${what}: ${r.resumed} TLS sessions resumed: handshakes must be full`);
  if (r.exhausted) notes.add(`${what}: a run used up its pre-made tokens and was measured up to that moment`);
  if (r.non2xx + r.errors) notes.add(`${what}: ${r.non2xx} refused / ${r.errors} failed connections in a run (first: ${r.firstFailure})`);
  log(`  ${what}: ${describeLoad({ ...r, cpuMsPerOp: cpu })}`);
  pushLoad(s, { ...r, cpuMsPerOp: cpu });
  return r;
}

function specs(f: EstFixture, secs: number) {
  const base = { host: f.est.host, connections: CONC, seconds: secs, warmupSeconds: WARMUP, keyPem: f.device.keyPem };
  const client = { certPem: f.deviceCertPem, keyPem: f.device.keyPem };
  const enroll = async (kind: 'ka' | 'nc'): Promise<EstLoadSpec> => {
    const t = await f.tokens(Math.ceil(fastest[kind]! * 1.5 * (secs + WARMUP)) + 100);
    return { ...base, ...t, mode: 'est', port: f.est.port, keepAlive: kind === 'ka', tls: f.tls };
  };
  const cfssl = (): EstLoadSpec => {
    const u = new URL(f.cfssl!.url);
    const body = signBody(f.device.pem);
    const req = `POST /api/v1/cfssl/sign HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    return { ...base, host: u.hostname, port: Number(u.port), mode: 'fixed', keepAlive: true, request64: Buffer.from(req).toString('base64') };
  };
  const handshake = (mtls: boolean): EstLoadSpec => ({ ...base, mode: 'handshake', keepAlive: false, port: mtls ? f.handshake.mtls.port : f.handshake.plain.port, tls: mtls ? { ...f.tls, ...client } : f.tls });
  const reenroll = (): EstLoadSpec => ({ ...base, mode: 'reenroll', port: f.est.port, keepAlive: false, tls: { ...f.tls, ...client } });
  return { enroll, cfssl, handshake, reenroll };
}

const bench: Benchmark = {
  name: 'est',
  title: 'EST simpleenroll: P-256 CSR, one-time token (channel-bound Basic), durable',
  about: 'EST simpleenroll keep-alive vs cfssl serve + certdb; one TLS connection per enrollment vs bare TLS handshakes',
  async run(ctx) {
    const sc = scratch('est');
    const secs = seconds(8);
    try {
      const cfsslBin = findOrInstall('cfssl', 'golang-cfssl');
      if (!cfsslBin) notes.add(missingNote('cfssl', 'golang-cfssl'));
      const limits = await ctx.limits();
      const f = await setupEst(sc.dir, cfsslBin);
      const sp = specs(f, secs);
      const gh = f.gh.proc.pid;
      const s = { ka: series(), cf: series(), nc: series(), hs: series(), re: series(), hsm: series() };
      for (let r = 1; r <= rounds(); r++) {
        log(`est round ${r}/${rounds()}`);
        let x = await measure('gatehouse EST simpleenroll, keep-alive c=16', s.ka, await sp.enroll('ka'), gh);
        fastest.ka = Math.max(fastest.ka!, x.rps);
        if (f.cfssl) await measure('cfssl serve + sqlite certdb, keep-alive c=16', s.cf, sp.cfssl(), f.cfssl.proc.pid);
        x = await measure('gatehouse EST simpleenroll, new TLS connection each, c=16', s.nc, await sp.enroll('nc'), gh);
        fastest.nc = Math.max(fastest.nc!, x.rps);
        await measure('bare Node TLS full handshakes, c=16', s.hs, sp.handshake(false), f.handshake.plain.proc.pid);
        await measure('gatehouse EST simplereenroll, new mTLS connection each, c=16', s.re, sp.reenroll(), gh);
        await measure('bare Node TLS full handshakes with client certificate, c=16', s.hsm, sp.handshake(true), f.handshake.mtls.proc.pid);
      }
      const stored = f.cfssl?.stored();
      if (stored != null) notes.add(`cfssl certdb rows after the run: ${stored} (each stored before its answer)`);
      notes.add('authentication: HTTP Basic deviceId:token, one pre-made one-time token per enrollment (one approved inventory device each), CSR challengePassword = the connection\'s channel binding (tls-exporter, TLS 1.3) as Gatehouse requires by default; cfssl serve has no authentication and speaks plain HTTP');
      notes.add('load generator: bench/est/load-child.ts (raw sockets, one process, same for both sides of each row); new connections never offer a TLS session (0 resumed, checked)');
      const peerCf = f.cfssl ? { name: 'cfssl serve + sqlite certdb (HTTP)', ...s.cf } : null;
      const rows = [
        row({ operation: '(a) simpleenroll, keep-alive, c=16', unit: 'enroll/s', gatehouse: { name: 'gatehouse EST', ...s.ka }, peer: peerCf, target: { ratio: 2 } }),
        row({ operation: '(b) simpleenroll, new TLS connection each, c=16 vs bare TLS handshakes', unit: 'enroll/s', gatehouse: { name: 'gatehouse EST', ...s.nc }, peer: { name: 'bare Node TLS handshakes (same cert)', ...s.hs }, target: { ratio: 0.8 } }),
        row({ operation: "(b') simplereenroll, new mTLS connection each vs bare mTLS handshakes", unit: 'enroll/s', gatehouse: { name: 'gatehouse EST', ...s.re }, peer: { name: 'bare Node TLS handshakes + client cert', ...s.hsm }, target: { ratio: 0.8, label: 'heading for 0.8x' } }),
        row({ operation: 'server CPU per enrollment, keep-alive (a)', unit: 'ms', higherIsBetter: false, gatehouse: cpuSide('gatehouse serve', s.ka), peer: peerCf && cpuSide('cfssl serve', s.cf) }),
        row({ operation: 'server CPU per enrollment, new connection (b) vs per handshake', unit: 'ms', higherIsBetter: false, gatehouse: cpuSide('gatehouse serve', s.nc), peer: cpuSide('bare Node TLS server', s.hs) }),
      ];
      const lim: Limit[] = [
        ...issuanceLimits(limits),
        { name: 'full TLS handshakes (Node, this load generator, c=16)', value: summarize(s.hs.values), unit: '/s' },
        { name: 'with client certificate', value: summarize(s.hsm.values), unit: '/s' },
      ];
      return { rows, limits: lim, notes: [...notes] };
    } finally {
      await stopAll();
      sc.cleanup();
    }
  },
};
export default bench;
