/**
 * Benchmark `limits`: the signing ceiling of this machine, Gatehouse's crypto path against the
 * reference implementation.
 *
 * How: alternated rounds of `openssl speed -seconds 3 ecdsap256` (one core, sign and verify) and
 * a Node child doing synchronous crypto.sign / crypto.verify with a P-256 KeyObject for 2 s each
 * (what Gatehouse's SoftwareSigner calls). The medians then serve as the limits printed beside
 * the issuance and OCSP tables of the same run. No load generator: one core, no network.
 */
import type { Benchmark } from '../lib/benchmark.ts';
import { nodeSpeed, opensslSpeed, setLimits } from '../lib/limits.ts';
import { log } from '../lib/proc.ts';
import { row } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';
import { rounds } from '../lib/tools.ts';

const bench: Benchmark = {
  name: 'limits',
  title: 'Physical limits: P-256 signatures on one core (Node crypto vs openssl speed)',
  about: 'openssl speed ecdsap256 vs Node crypto.sign/verify P-256, one core',
  async run() {
    const o = { sign: [] as number[], verify: [] as number[] };
    const n = { sign: [] as number[], verify: [] as number[] };
    for (let r = 1; r <= rounds(); r++) {
      const a = await nodeSpeed(2);
      const b = await opensslSpeed();
      log(`limits round ${r}: Node sign ${a.sign}/s verify ${a.verify}/s; openssl sign ${b.sign}/s verify ${b.verify}/s`);
      n.sign.push(a.sign);
      n.verify.push(a.verify);
      o.sign.push(b.sign);
      o.verify.push(b.verify);
    }
    setLimits({
      opensslSign: summarize(o.sign).median,
      opensslVerify: summarize(o.verify).median,
      nodeSign: summarize(n.sign).median,
      nodeVerify: summarize(n.verify).median,
    });
    return {
      rows: [
        row({ operation: 'ECDSA P-256 sign, 1 core', unit: 'signs/s', gatehouse: { name: 'Node crypto.sign', values: n.sign }, peer: { name: 'openssl speed', values: o.sign } }),
        row({ operation: 'ECDSA P-256 verify, 1 core', unit: 'verifies/s', gatehouse: { name: 'Node crypto.verify', values: n.verify }, peer: { name: 'openssl speed', values: o.verify } }),
      ],
      limits: [],
      notes: [
        'Gatehouse signs through Node crypto (OpenSSL underneath); the gap is per-call overhead of the JS binding.',
        'one issuance = 1 CSR verify + 1 certificate sign; one live OCSP answer = 1 sign; a cached one = none.',
      ],
    };
  },
};
export default bench;
