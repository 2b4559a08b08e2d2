/**
 * Benchmark `ocsp` (issue #2): OCSP responses/s, cached and live-signed, against real responders.
 *
 * How: fixture.ts issues 100 certificates from Gatehouse's P-256 issuing CA and makes openssl
 * requests for them (with and without nonce); every server and the load generator (autocannon,
 * a separate process, 16 keep-alive connections, each cycling through the 100 requests) run in
 * one private network namespace (servers.ts). Per round (BENCH_ROUNDS, default 3), alternated:
 *   cached: Gatehouse POST /ocsp, cfssl ocspserve POST (pre-signed), Gatehouse GET /ocsp/<b64>
 *   live:   Gatehouse POST + nonce, `openssl ocsp -port` POST + nonce (fresh responder per run),
 *           Gatehouse GET + nonce, openssl GET + nonce
 *   ceiling: a bare Node HTTP server answering 1 KiB (the limit of this load generator + Node).
 * Gatehouse runs warm up 1 s (fills its cache); openssl runs get no warm-up (a warm-up would end
 * by closing connections, which wedges it). BENCH_SECONDS (default 5) per run.
 * Targets: cached >= 1.5x cfssl; live >= 1.0x openssl. Responder keys: P-256 on every side.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSide, pushLoad, series, type Benchmark, type Series } from '../lib/benchmark.ts';
import { ocspLimits } from '../lib/limits.ts';
import { checkLoad, describeLoad, runLoad, type LoadRequest, type LoadSpec } from '../lib/load.ts';
import { createNetns, log, stopAll, type Wrap } from '../lib/proc.ts';
import { row, type Limit } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';
import { findOrInstall, missingNote, rounds, scratch, seconds } from '../lib/tools.ts';
import { getPath, makeFixture, type OcspFixture } from './fixture.ts';
import { check, startServers } from './servers.ts';

const CONC = 16;

function requests(f: OcspFixture, method: 'GET' | 'POST', base: string, withNonce: boolean): LoadRequest[] {
  return (withNonce ? f.nonce : f.plain).map((der) =>
    method === 'POST'
      ? { method, path: base, headers: { 'content-type': 'application/ocsp-request' }, body64: der.toString('base64') }
      : { method, path: getPath(base, der) },
  );
}


const errors = new Map<string, number>();

async function measure(what: string, s: Series, wrap: Wrap, spec: LoadSpec, pid?: number): Promise<void> {
  const r = await runLoad(spec, wrap, pid);
  checkLoad(what, r, 0.05);
  if (r.errors) errors.set(what, (errors.get(what) ?? 0) + r.errors);
  log(`  ${what}: ${describeLoad(r)}`);
  pushLoad(s, r);
}

const bench: Benchmark = {
  name: 'ocsp',
  title: 'OCSP: cached and live-signed (nonce) responses/s',
  about: 'Gatehouse /ocsp (GET, POST) vs cfssl ocspserve (cached) and openssl ocsp -port (live)',
  async run(ctx) {
    const sc = scratch('ocsp');
    const secs = seconds(5);
    const notes: string[] = [];
    const netns = await createNetns();
    if ('error' in netns) throw new Error(`ocsp needs a private network namespace for openssl ocsp -port: ${netns.error}`);
    try {
      const logDir = join(sc.dir, 'logs');
      mkdirSync(logDir, { recursive: true });
      const cfssl = findOrInstall('cfssl', 'golang-cfssl');
      if (!cfssl) notes.push(missingNote('cfssl', 'golang-cfssl'));
      const limits = await ctx.limits();
      const f = await makeFixture(sc.dir, logDir, cfssl);
      const w = netns.wrap;
      const srv = await startServers(f, w, logDir, cfssl);
      const ghPid = srv.gh.proc.pid;
      await check('gatehouse POST', f, w, srv.ghOcsp, 'POST', 0, false);
      await check('gatehouse GET', f, w, srv.ghOcsp, 'GET', 1, false);
      await check('gatehouse POST + nonce', f, w, srv.ghOcsp, 'POST', 2, true);
      await check('gatehouse GET + nonce', f, w, srv.ghOcsp, 'GET', 3, true);
      if (srv.cfssl) await check('cfssl ocspserve POST', f, w, `${srv.cfssl.url}/`, 'POST', 0, false);
      const probe = await srv.openssl();
      await check('openssl ocsp POST + nonce', f, w, `${probe.url}/`, 'POST', 0, true);
      await check('openssl ocsp GET + nonce', f, w, `${probe.url}/`, 'GET', 1, true);
      await probe.stop();

      const spec = (url: string, reqs: LoadRequest[], warm: number): LoadSpec => ({ url, connections: CONC, seconds: secs, warmupSeconds: warm, requests: reqs, engine: 'node' });
      const s = { ghPost: series(), ghGet: series(), cfPost: series(), ghLivePost: series(), ghLiveGet: series(), osPost: series(), osGet: series(), ceiling: series() };
      log('ocsp: warming up Gatehouse (JIT, response cache), not recorded');
      for (const [m, n] of [['POST', false], ['GET', false], ['POST', true], ['GET', true]] as const) await runLoad({ ...spec(srv.gh.http, requests(f, m, '/ocsp', n), 0), seconds: 2 }, w);
      for (let r = 1; r <= rounds(); r++) {
        log(`ocsp round ${r}/${rounds()}`);
        await measure('gatehouse cached POST', s.ghPost, w, spec(srv.gh.http, requests(f, 'POST', '/ocsp', false), 1), ghPid);
        if (srv.cfssl) await measure('cfssl ocspserve POST', s.cfPost, w, spec(srv.cfssl.url, requests(f, 'POST', '/', false), 1), srv.cfssl.proc.pid);
        await measure('gatehouse cached GET', s.ghGet, w, spec(srv.gh.http, requests(f, 'GET', '/ocsp', false), 1), ghPid);
        await measure('gatehouse live POST + nonce', s.ghLivePost, w, spec(srv.gh.http, requests(f, 'POST', '/ocsp', true), 1), ghPid);
        let os = await srv.openssl();
        await measure('openssl ocsp POST + nonce', s.osPost, w, spec(os.url, requests(f, 'POST', '/', true), 0), os.proc.pid);
        await os.stop();
        await measure('gatehouse live GET + nonce', s.ghLiveGet, w, spec(srv.gh.http, requests(f, 'GET', '/ocsp', true), 1), ghPid);
        os = await srv.openssl();
        await measure('openssl ocsp GET + nonce', s.osGet, w, spec(os.url, requests(f, 'GET', '/', true), 0), os.proc.pid);
        await os.stop();
        await measure('ceiling: bare Node HTTP 1 KiB', s.ceiling, w, spec(srv.ceiling.url, requests(f, 'POST', '/', false), 1), srv.ceiling.proc.pid);
      }
      const cf = srv.cfssl ? { name: 'cfssl ocspserve POST (pre-signed)', ...s.cfPost } : null;
      const osP = { name: 'openssl ocsp -port POST (live)', ...s.osPost };
      const osG = { name: 'openssl ocsp -port GET (live)', ...s.osGet };
      const rows = [
        row({ operation: 'cached, POST', unit: 'resp/s', gatehouse: { name: 'gatehouse POST /ocsp', ...s.ghPost }, peer: cf, target: { ratio: 1.5 } }),
        row({ operation: 'cached, GET (cfssl: POST, its GET is broken)', unit: 'resp/s', gatehouse: { name: 'gatehouse GET /ocsp/<b64>', ...s.ghGet }, peer: cf, target: { ratio: 1.5 } }),
        row({ operation: 'live-signed with nonce, POST', unit: 'resp/s', gatehouse: { name: 'gatehouse POST + nonce', ...s.ghLivePost }, peer: osP, target: { ratio: 1 } }),
        row({ operation: 'live-signed with nonce, GET', unit: 'resp/s', gatehouse: { name: 'gatehouse GET + nonce', ...s.ghLiveGet }, peer: osG, target: { ratio: 1 } }),
        row({ operation: 'server CPU per cached answer (POST)', unit: 'ms', higherIsBetter: false, gatehouse: cpuSide('gatehouse serve', s.ghPost), peer: cf && cpuSide('cfssl ocspserve', s.cfPost) }),
        row({ operation: 'server CPU per live answer (POST)', unit: 'ms', higherIsBetter: false, gatehouse: cpuSide('gatehouse serve', s.ghLivePost), peer: cpuSide('openssl ocsp', s.osPost) }),
        row({ operation: 'ceiling vs cached POST (same load generator)', unit: 'resp/s', gatehouse: { name: 'gatehouse POST /ocsp', ...s.ghPost }, peer: { name: 'bare Node HTTP server, 1 KiB', ...s.ceiling } }),
      ];
      const lim: Limit[] = [...ocspLimits(limits), { name: 'bare Node HTTP 1 KiB answers (this load generator)', value: summarize(s.ceiling.values), unit: '/s' }];
      notes.push('load generator: our own (bench/lib/load-node.ts), not autocannon: autocannon mishandles servers that close after each answer (openssl ocsp -port, HTTP/1.0) and measured it ~7x too low');
      notes.push(`all servers and the load generator ran in one private network namespace (loopback only), ${CONC} keep-alive connections cycling over the same 100 requests (SHA-1 CertIDs made by openssl)`);
      for (const [what, n] of errors) notes.push(`${what}: ${n} connection errors in total (reconnected; not counted as answers)`);
      notes.push('`openssl ocsp -port` is single-process and serves one connection at a time; it signs every answer (no cache), as Gatehouse does for nonce requests.');
      return { rows, limits: lim, notes };
    } finally {
      await stopAll();
      await netns.close();
      sc.cleanup();
    }
  },
};
export default bench;
