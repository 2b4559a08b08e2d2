/**
 * The admin listener: Prometheus metrics and health. Plain HTTP, loopback by default.
 *   GET /metrics  prom-client text format
 *   GET /healthz  the process is up
 *   GET /readyz   the database answers (503 otherwise)
 */
import type { Server } from 'node:http';
import { Router, createHttpServer, type Db, type Logger, type Registry } from '../platform/index.ts';

export function createAdminServer(o: { metrics: Registry; db: Db; log: Logger; extra?: Router[]; metricsText?: () => Promise<string> }): Server {
  const r = new Router();
  r.on('GET', '/metrics', async (_req, res) => {
    // with broker workers: this process's registry and theirs, aggregated (platform/metrics.ts)
    const body = o.metricsText ? await o.metricsText() : await o.metrics.metrics();
    res.writeHead(200, { 'content-type': o.metrics.contentType });
    res.end(body);
  });
  r.on('GET', '/healthz', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  });
  r.on('GET', '/readyz', async (_req, res) => {
    try {
      await o.db.raw('select 1');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ready\n');
    } catch {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
      res.end('database unavailable\n');
    }
  });
  return createHttpServer([r, ...(o.extra ?? [])], { requestTimeoutMs: 10_000, headersTimeoutMs: 5_000, keepAliveTimeoutMs: 5_000 }, o.log);
}
