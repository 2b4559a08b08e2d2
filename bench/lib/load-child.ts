/**
 * The load generator process (started by load.ts, never imported): runs autocannon 8 (default)
 * or our own generator (spec.engine 'node', load-node.ts) with the JSON spec from argv[2] and
 * prints one JSON line with the result.
 *
 * How: N keep-alive connections (pipelining 1) each cycle through the request list; with TLS the
 * client certificate and key go to tls.connect (autocannon's tlsOptions). An optional warm-up run
 * comes first and is discarded. Throughput = 2xx responses / measured duration; latency p50/p99
 * from autocannon's HDR histogram (whole ms), or with spec.fineLatency from each 2xx response's
 * own timer (sub-millisecond).
 */
import { createRequire } from 'node:module';
import type { LoadResult, LoadSpec } from './load.ts';
import { nodeLoad } from './load-node.ts';
import { LatencyRecorder, runFigures } from './stats.ts';

interface AcResult {
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
}
interface AcClient {
  on(ev: 'response', fn: (status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AcResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;

function options(seconds: number, lat: LatencyRecorder | null = null): Record<string, unknown> {
  const tls = spec.tls;
  return {
    ...(lat ? { setupClient: (c: AcClient) => c.on('response', (status, _bytes, ms) => status >= 200 && status < 300 && lat.record(ms)) } : {}),
    url: spec.url,
    connections: spec.connections,
    duration: seconds,
    pipelining: 1,
    timeout: spec.timeout ?? 10,
    requests: spec.requests.map((r) => ({
      method: r.method,
      path: r.path,
      headers: r.headers ?? {},
      ...(r.body64 !== undefined ? { body: Buffer.from(r.body64, 'base64') } : {}),
    })),
    ...(tls
      ? {
          servername: tls.servername ?? 'localhost',
          tlsOptions: { cert: tls.certPem, key: tls.keyPem, ...(tls.caPem ? { ca: tls.caPem } : {}) },
        }
      : {}),
  };
}

async function viaAutocannon(): Promise<LoadResult> {
  const warm = spec.warmupSeconds ? await autocannon(options(spec.warmupSeconds)) : null;
  const lat = spec.fineLatency ? new LatencyRecorder() : null;
  const r = await autocannon(options(spec.seconds, lat));
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    rps: r['2xx'] / r.duration,
    ok: r['2xx'],
    okTotal: r['2xx'] + (warm?.['2xx'] ?? 0),
    p50: lat ? round(lat.percentile(0.5)) : r.latency.p50,
    p99: lat ? round(lat.percentile(0.99)) : r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds: r.duration,
  };
}

async function viaNode(): Promise<LoadResult> {
  const warm = spec.warmupSeconds ? await nodeLoad(spec, spec.warmupSeconds, false) : null;
  const r = await nodeLoad(spec, spec.seconds, true);
  return {
    ...runFigures(r, warm),
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds: r.seconds,
  };
}

console.log(JSON.stringify(spec.engine === 'node' ? await viaNode() : await viaAutocannon()));
