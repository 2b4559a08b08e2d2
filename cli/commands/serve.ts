/**
 * `gatehouse serve`: runs a node. With --dev, a missing configuration is first created with a
 * development PKI (`gatehouse init --dev`), so `npm start` works on a fresh clone.
 * SIGINT/SIGTERM stop it gracefully.
 */
import type { Command } from 'commander';
import { AppError } from '../../platform/index.ts';
import { initDev } from './init.ts';
import { ROLES, startNode, type Role } from '../node.ts';
import { action } from '../run.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run Gatehouse (all roles by default)')
    .option('--role <roles>', `comma-separated roles: ${ROLES.join(', ')}`, ROLES.join(','))
    .option('--dev', 'create a development PKI and configuration on first run')
    .option('--offline-dir <dir>', 'where --dev puts the development root', './offline')
    .action(
      action<{ role: string; dev?: boolean; offlineDir: string }>(async (o, g, out) => {
        const roles = o.role.split(',').map((r) => r.trim()) as Role[];
        const bad = roles.filter((r) => !ROLES.includes(r));
        if (bad.length) throw new AppError('ERR_BAD_INPUT', `unknown role(s) ${bad.join(', ')}; roles: ${ROLES.join(', ')}`);
        if (o.dev) await initDev(g, o.offlineDir, out);
        const node = await startNode(g, roles);
        out.print(`gatehouse serving (${roles.join(', ')}): ${Object.entries(node.addresses).map(([k, v]) => `${k} ${v}`).join(', ')}`, { roles, addresses: node.addresses });
        await new Promise<void>((resolve) => {
          const done = () => resolve();
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
        });
        await node.stop();
      }),
    );
}
