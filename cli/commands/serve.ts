/**
 * `gatehouse serve`: runs a node. With --dev, a missing configuration is first created with a
 * development PKI (`gatehouse init --dev`), so `npm start` works on a fresh clone.
 * SIGINT/SIGTERM stop it gracefully.
 * With broker.workers > 1 the node forks broker worker processes: the same command plus the
 * hidden `--broker-worker` flag, honoured only inside a node:cluster worker; such a worker runs
 * the broker role only, prints no "serving" line, and leaves when stopped or when start fails.
 */
import cluster from 'node:cluster';
import { Option, type Command } from 'commander';
import { AppError } from '../../platform/index.ts';
import { initDev } from './init.ts';
import { ROLES, startBrokerWorker, startNode, type Role } from '../node.ts';
import { BROKER_WORKER_FLAG } from '../broker-workers.ts';
import { action } from '../run.ts';

const signalled = () =>
  new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });

async function runWorker(g: Parameters<typeof startBrokerWorker>[0]): Promise<void> {
  if (!cluster.isWorker) throw new AppError('ERR_BAD_INPUT', `${BROKER_WORKER_FLAG} is internal: set broker.workers instead`);
  try {
    const w = await startBrokerWorker(g);
    await signalled();
    await w.stop();
  } finally {
    // the IPC channel keeps a worker alive: leave once the action has set the exit code
    setImmediate(() => cluster.worker?.disconnect());
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run Gatehouse (all roles by default)')
    .option('--role <roles>', `comma-separated roles: ${ROLES.join(', ')}`, ROLES.join(','))
    .option('--dev', 'create a development PKI and configuration on first run')
    .option('--offline-dir <dir>', 'where --dev puts the development root', './offline')
    .addOption(new Option(BROKER_WORKER_FLAG, 'internal: run as a broker worker process').hideHelp())
    .action(
      action<{ role: string; dev?: boolean; offlineDir: string; brokerWorker?: boolean }>(async (o, g, out) => {
        if (o.brokerWorker) return runWorker(g);
        const roles = o.role.split(',').map((r) => r.trim()) as Role[];
        const bad = roles.filter((r) => !ROLES.includes(r));
        if (bad.length) throw new AppError('ERR_BAD_INPUT', `unknown role(s) ${bad.join(', ')}; roles: ${ROLES.join(', ')}`);
        if (o.dev) await initDev(g, o.offlineDir, out);
        const node = await startNode(g, roles);
        out.print(`gatehouse serving (${roles.join(', ')}): ${Object.entries(node.addresses).map(([k, v]) => `${k} ${v}`).join(', ')}`, { roles, addresses: node.addresses });
        await signalled();
        await node.stop();
      }),
    );
}
