/**
 * Benchmark `crl` (issue #2): build time and peak RSS of complete CRLs with 10k, 100k and 1M
 * revoked entries.
 *
 * How: a real Gatehouse store (`gatehouse init --dev`, SQLite) is seeded with revoked rows
 * (seed.ts; the same serials go to the peers' inputs). For each size, alternated per round
 * (BENCH_ROUNDS, default 3), each in a fresh child process so its peak RSS is its own:
 *   A1 CrlService.publish (number + DB read + build + sign + store + audit)  vs  B1 openssl ca -gencrl
 *   A2 buildCrl over generated entries (pure builder)                       vs  B2 cfssl gencrl
 * All sign with the same P-256 issuing key (the pure builder: a fresh P-256 key). Before timing,
 * the smallest size's peer CRLs are parsed with `openssl crl` and must list every entry.
 * Target: 1M entries through CrlService in <= 10 s and <= 1 GiB peak RSS.
 * BENCH_CRL_SIZES=10000,100000 overrides the sizes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from '../lib/benchmark.ts';
import { createPki } from '../lib/gatehouse.ts';
import { log, run, runJson } from '../lib/proc.ts';
import { row, type Row } from '../lib/report.ts';
import { findOrInstall, missingNote, rounds, scratch } from '../lib/tools.ts';
import { cfsslGencrl, gnuTime, opensslCa, type PeerRun } from './peers.ts';
import { crlSeed } from './seed.ts';

interface ChildRun {
  ms: number;
  entries: number;
  bytes: number;
  rssBaseMiB: number;
  peakRssMiB: number;
}

const CHILD = join(import.meta.dirname, 'child.ts');
const sizes = (): number[] => (process.env.BENCH_CRL_SIZES ?? '10000,100000,1000000').split(',').map(Number).filter((n) => n > 0);
const label = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

async function countEntries(file: string, inform: 'PEM' | 'DER'): Promise<number> {
  const out = await run('openssl', ['crl', '-in', file, '-inform', inform, '-noout', '-text']);
  return (out.match(/Serial Number:/g) ?? []).length;
}

const bench: Benchmark = {
  name: 'crl',
  title: 'CRL: build time and peak RSS of complete CRLs (10k / 100k / 1M revoked)',
  about: 'CrlService.publish and the pure builder vs openssl ca -gencrl and cfssl gencrl',
  async run() {
    const sc = scratch('crl');
    const notes: string[] = [];
    try {
      const time = gnuTime();
      if (!time) throw new Error('GNU time (/usr/bin/time, Debian package time) is needed for the peers\' peak RSS');
      const cfssl = findOrInstall('cfssl', 'golang-cfssl');
      if (!cfssl) notes.push(missingNote('cfssl', 'golang-cfssl'));
      const pki = await createPki(sc.dir);
      const dataDir = join(sc.dir, 'data');
      const passphrase = readFileSync(join(dataDir, 'secrets', 'ca-passphrase'), 'utf8').trim();
      const seed = crlSeed(sc.dir, join(dataDir, 'gatehouse.sqlite'), pki.issuerId);
      const keys = { certFile: pki.issuingCertFile, keyFile: pki.issuingKeyFile };
      const ossl = opensslCa(time, sc.dir, { indexFile: seed.indexFile, ...keys });
      const cf = cfssl ? cfsslGencrl(time, cfssl, sc.dir, { serialsFile: seed.serialsFile, ...keys }) : null;
      const service = () => runJson<ChildRun>(CHILD, [JSON.stringify({ mode: 'service', sqlitePath: join(dataDir, 'gatehouse.sqlite'), dataDir, passphrase, publicUrl: 'http://127.0.0.1:8080' })], { timeoutMs: 600_000 });
      const builder = (n: number) => runJson<ChildRun>(CHILD, [JSON.stringify({ mode: 'builder', entries: n })], { timeoutMs: 600_000 });
      const rows: Row[] = [];
      for (const [k, n] of sizes().entries()) {
        const t0 = Date.now();
        seed.grow(n);
        log(`crl: ${seed.count} revoked rows seeded (${((Date.now() - t0) / 1000).toFixed(1)} s, not measured)`);
        if (k === 0) {
          await ossl.run();
          const o = await countEntries(join(sc.dir, 'openssl-crl.pem'), 'PEM');
          if (o !== n) throw new Error(`openssl ca -gencrl listed ${o} entries, expected ${n}`);
          if (cf) {
            await cf.run();
            const der = join(sc.dir, 'cfssl-crl.der');
            await run('sh', ['-c', `base64 -d < "${join(sc.dir, 'cfssl-crl.b64')}" > "${der}"`]);
            const c = await countEntries(der, 'DER');
            if (c !== n) throw new Error(`cfssl gencrl listed ${c} entries, expected ${n}`);
          }
          log(`crl: peer CRLs checked (${n} entries each)`);
        }
        const s = { svc: [] as ChildRun[], os: [] as PeerRun[], b: [] as ChildRun[], cf: [] as PeerRun[] };
        for (let r = 1; r <= rounds(); r++) {
          const a = await service();
          if (a.entries !== n) throw new Error(`CrlService listed ${a.entries} entries, expected ${n}`);
          const b = await ossl.run();
          const c = await builder(n);
          const d = cf ? await cf.run() : null;
          log(`crl ${label(n)} round ${r}: service ${a.ms.toFixed(0)} ms ${a.peakRssMiB} MiB | openssl ca ${b.ms.toFixed(0)} ms ${b.peakRssMiB} MiB | builder ${c.ms.toFixed(0)} ms ${c.peakRssMiB} MiB${d ? ` | cfssl ${d.ms.toFixed(0)} ms ${d.peakRssMiB} MiB` : ''}`);
          s.svc.push(a);
          s.os.push(b);
          s.b.push(c);
          if (d) s.cf.push(d);
        }
        const secs = (x: { ms: number }[]) => x.map((y) => y.ms / 1000);
        const rss = (x: { peakRssMiB: number }[]) => x.map((y) => y.peakRssMiB);
        const big = n >= 1_000_000;
        const cfPeer = (values: number[]) => (cf ? { name: 'cfssl gencrl', values } : null);
        rows.push(
          row({ operation: `CrlService.publish ${label(n)} (read+build+sign+store)`, unit: 's', higherIsBetter: false, gatehouse: { name: 'CrlService', values: secs(s.svc) }, peer: { name: 'openssl ca -gencrl', values: secs(s.os) }, ...(big ? { target: { max: 10 } } : {}) }),
          row({ operation: `peak RSS, CrlService process ${label(n)}`, unit: 'MiB', higherIsBetter: false, gatehouse: { name: 'child process', values: rss(s.svc) }, peer: { name: 'openssl ca -gencrl', values: rss(s.os) }, ...(big ? { target: { max: 1024 } } : {}) }),
          row({ operation: `pure builder ${label(n)} (build+sign)`, unit: 's', higherIsBetter: false, gatehouse: { name: 'buildCrl', values: secs(s.b) }, peer: cfPeer(secs(s.cf)) }),
          row({ operation: `peak RSS, builder process ${label(n)}`, unit: 'MiB', higherIsBetter: false, gatehouse: { name: 'child process', values: rss(s.b) }, peer: cfPeer(rss(s.cf)) }),
        );
        notes.push(`${label(n)}: CRL ${s.svc[0]!.bytes.toLocaleString('en-US')} bytes DER (Gatehouse), ${s.os[0]!.bytes.toLocaleString('en-US')} bytes PEM (openssl); Node process baseline before the work ${s.svc[0]!.rssBaseMiB} MiB (service) / ${s.b[0]!.rssBaseMiB} MiB (builder)`);
      }
      notes.push('Gatehouse times cover the operation inside a warm child (process start excluded); peer times are whole processes (start-up is a few ms). cfssl gencrl lists no revocation reasons; openssl and Gatehouse carry keyCompromise on 1 in 4 entries.');
      return { rows, limits: [], notes };
    } finally {
      sc.cleanup();
    }
  },
};
export default bench;
