/**
 * The broker as several worker processes sharing its HTTPS port (`broker.workers` > 1), the
 * primary side. Node 20 has no SO_REUSEPORT between processes, so node:cluster shares the
 * socket: the primary owns it and hands each accepted connection to a worker (round robin on
 * Linux); the primary itself never serves a broker connection.
 *
 * Rules enforced:
 * - Workers run this process's own script, arguments and execArgv (bin/gatehouse.mjs registers
 *   tsx itself; `node --import tsx` carries it in execArgv), plus the hidden `--broker-worker`
 *   that makes `serve` start the broker role only (cli/node.ts startBrokerWorker).
 * - Worker i gets node id `<nodeId>/broker-<i>` (GATEHOUSE_NODE_ID, an ordinary config key): the
 *   event bus drops events whose origin is its own id, so one shared id would silently lose the
 *   siblings' and the primary's revocations and session kills. Audit entries carry it as their
 *   `node` label; the chain itself is one chain whose head row every append locks.
 * - Every worker listens on the primary's resolved `broker.listen` (GATEHOUSE_BROKER__LISTEN,
 *   replacing any finer override); once the port is known (listen port 0) replacements reuse it.
 * - start() resolves when every worker listens; a worker that exits before it listens fails
 *   start() and the others are stopped. No secret travels in env or arguments: workers read
 *   the configuration, the server key and the assertion key from the same places as the primary.
 * - A worker that dies later is logged and re-forked into its slot after a backoff: 250 ms,
 *   doubled for each crash of a worker that lived < 30 s, at most 30 s.
 * - Metrics: peers() are the listening workers; the admin listener asks them for their registry
 *   at every scrape (platform/metrics.ts aggregatedMetrics) and serves the sum.
 * - SIGHUP (policy reload) is forwarded to every worker. stop(): SIGTERM to every worker,
 *   SIGKILL after 10 s; resolves once all have exited; nothing is re-forked after it.
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { AppError, type BrokerConfig, type Logger } from '../platform/index.ts';

export const BROKER_WORKER_FLAG = '--broker-worker';
const QUICK_CRASH_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
const KILL_AFTER_MS = 10_000;

export function brokerWorkerCount(w: BrokerConfig['workers']): number {
  return w === 'auto' ? availableParallelism() : w;
}

interface Slot {
  worker: Worker | null;
  /** The worker listens (its SIGHUP handler is installed: a signal before that would kill it). */
  listening: boolean;
  startedAt: number;
  crashes: number;
  timer: NodeJS.Timeout | null;
}

export class BrokerWorkers {
  private readonly slots: Slot[];
  private listen: { host: string; port: number };
  private stopping = false;
  private started = false;
  private readonly onHup = () => {
    for (const s of this.slots) if (s.listening && s.worker && !s.worker.isDead()) s.worker.process.kill('SIGHUP');
  };

  constructor(private readonly o: { count: number; nodeId: string; listen: BrokerConfig['listen']; log: Logger }) {
    this.slots = Array.from({ length: o.count }, () => ({ worker: null, listening: false, startedAt: 0, crashes: 0, timer: null }));
    this.listen = { ...o.listen };
  }

  /** Forks every worker; resolves with the shared address once all of them listen. */
  async start(): Promise<AddressInfo> {
    if (!cluster.isPrimary) throw new AppError('ERR_CONFIG', 'broker.workers > 1 cannot run inside a node:cluster worker');
    cluster.setupPrimary({ exec: process.argv[1]!, args: [...process.argv.slice(2), BROKER_WORKER_FLAG], execArgv: [...process.execArgv] });
    process.on('SIGHUP', this.onHup);
    try {
      const addrs = await Promise.all(this.slots.map((_, i) => this.fork(i)));
      if (this.slots.some((s) => s.worker === null)) throw new AppError('ERR_INTERNAL', 'a broker worker exited during start-up; see its log');
      this.started = true;
      return addrs[0]!;
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private fork(i: number): Promise<AddressInfo> {
    const slot = this.slots[i]!;
    slot.timer = null;
    const w = cluster.fork({
      GATEHOUSE_NODE_ID: `${this.o.nodeId}/broker-${i}`,
      GATEHOUSE_BROKER__LISTEN: JSON.stringify(this.listen),
      GATEHOUSE_BROKER__LISTEN__HOST: undefined,
      GATEHOUSE_BROKER__LISTEN__PORT: undefined,
    });
    slot.worker = w;
    slot.listening = false;
    slot.startedAt = Date.now();
    return new Promise<AddressInfo>((resolve, reject) => {
      let listening = false;
      w.once('listening', (a: { address?: string | null; port: number; addressType: number | string }) => {
        listening = true;
        if (slot.worker === w) slot.listening = true;
        this.listen.port = a.port;
        this.o.log.info({ worker: i, pid: w.process.pid }, 'broker worker listening');
        resolve({ address: a.address ?? this.listen.host, port: a.port, family: String(a.addressType) });
      });
      w.once('exit', (code, signal) => {
        if (slot.worker === w) {
          slot.worker = null;
          slot.listening = false;
        }
        if (!listening) reject(new AppError('ERR_INTERNAL', `broker worker ${i} exited (${signal ?? code}) before it listened; see its log`));
        if (this.stopping || !this.started) return;
        const lived = Date.now() - slot.startedAt;
        slot.crashes = lived < QUICK_CRASH_MS ? slot.crashes + 1 : 1;
        const delay = Math.min(250 * 2 ** (slot.crashes - 1), MAX_BACKOFF_MS);
        this.o.log.error({ worker: i, pid: w.process.pid, code, signal, restartInMs: delay }, 'broker worker exited; restarting');
        slot.timer = setTimeout(() => {
          if (!this.stopping) this.fork(i).catch(() => undefined); // a failed restart is logged by its own exit
        }, delay);
      });
    });
  }

  /** The workers that listen now (for metrics requests over IPC). */
  peers(): Worker[] {
    return this.slots.flatMap((s) => (s.worker && s.listening && !s.worker.isDead() ? [s.worker] : []));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    process.off('SIGHUP', this.onHup);
    for (const s of this.slots) if (s.timer) clearTimeout(s.timer);
    const live = this.slots.flatMap((s) => (s.worker && !s.worker.isDead() ? [s.worker] : []));
    await Promise.all(
      live.map(
        (w) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => w.process.kill('SIGKILL'), KILL_AFTER_MS);
            w.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
  }
}
