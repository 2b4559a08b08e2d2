/**
 * In-process issuance (started by issuance/index.ts as its own process, never imported):
 * CaService.issue(csrDer, grant) from `concurrency` concurrent callers for `seconds`, after a
 * discarded warm-up, on a fresh store: SQLite (WAL, synchronous=FULL, temp dir on the same disk
 * as the peers' databases) or PostgreSQL (fresh schema in postgres://postgres@127.0.0.1:5432/test,
 * GATEHOUSE_TEST_DB=pg). The CA is the real one (test/helpers/pki.ts: root ceremony + P-256 issuing
 * CA) with the default worker pool ('auto': CSR verify + build + lint on the second core).
 *
 * Every call is one durably stored device-tls certificate (issue() resolves after the group
 * commit). Afterwards the issued rows are counted in the store and must equal the calls that
 * succeeded. Prints one JSON line: certs/s, p50/p99 ms, CPU ms per certificate (process.cpuUsage,
 * every thread: far less sensitive to the machine's background load), group-commit stats, rows.
 */
import { readFileSync } from 'node:fs';
import { createTestCa } from '../../test/helpers/pki.ts';
import { LatencyRecorder } from '../lib/stats.ts';
import type { Grant } from '../../ca/index.ts';

interface Args {
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  csrDerFile: string;
}
const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const csr = readFileSync(a.csrDerFile);
const grant: Grant = { profile: 'device-tls', subject: { commonName: 'device-0001', organization: 'bench' }, actor: 'bench:issuance' };

const env = await createTestCa({ service: { workers: 'auto' } });
let firstError: unknown = null;

async function phase(seconds: number, rec: LatencyRecorder | null): Promise<{ ok: number; failed: number; elapsed: number }> {
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: a.concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await env.ca.issue(csr, grant);
          ok++;
          rec?.record(performance.now() - t);
        } catch (e) {
          failed++;
          firstError ??= e;
        }
      }
    }),
  );
  return { ok, failed, elapsed: (performance.now() - t0) / 1000 };
}

try {
  const warm = await phase(a.warmupSeconds, null);
  const g0 = { ...env.ca.groupStats };
  const rec = new LatencyRecorder();
  const c0 = process.cpuUsage();
  const m = await phase(a.seconds, rec);
  const cpu = process.cpuUsage(c0);
  const g1 = env.ca.groupStats;
  const stored = (await env.db('ca_certificates').where({ state: 'issued', profile: 'device-tls' }).count({ n: '*' }).first()) as { n: number | string };
  const groups = g1.groups - g0.groups;
  const out = {
    db: env.t.kind,
    rps: m.ok / m.elapsed,
    ok: m.ok,
    failed: m.failed + warm.failed,
    firstError: firstError ? String((firstError as Error).message ?? firstError) : null,
    p50: rec.percentile(0.5),
    p99: rec.percentile(0.99),
    seconds: m.elapsed,
    // CPU of every thread of this process (main + prepare worker) per certificate
    cpuMsPerOp: (cpu.user + cpu.system) / 1000 / m.ok,
    groupCommits: groups,
    // each issue() is two group writes (reserve + store)
    avgGroupSize: groups ? (g1.ops - g0.ops) / groups : 0,
    largestGroup: g1.largest,
    stored: Number(stored.n),
    expectedStored: warm.ok + m.ok,
  };
  console.log(JSON.stringify(out));
} finally {
  await env.cleanup();
}
