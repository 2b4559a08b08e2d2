/**
 * `gatehouse audit verify | export | keys`.
 * verify recomputes the hash chain from the database (or from an exported JSONL file with
 * --file, needing nothing but the file) and names the first bad entry; exit 4 when it fails.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { auditStore, exportAudit, verifyAuditDb, verifyAuditExport, type VerifyResult } from '../../platform/index.ts';
import { openContext } from '../context.ts';
import { EXIT } from '../output.ts';
import { action } from '../run.ts';

function describe(r: VerifyResult & { lineOfFirstBad?: number }): string {
  if (r.ok) return `audit log OK: ${r.entries} entries, ${r.checkpoints} signed checkpoints, last seq ${r.lastSeq}`;
  const where = r.lineOfFirstBad ? ` (line ${r.lineOfFirstBad})` : '';
  return `audit log BROKEN at seq ${r.firstBad?.seq}${where}: ${r.firstBad?.reason}\n${r.entries} entries verified before it`;
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('tamper-evident audit log');

  audit
    .command('verify')
    .description('recompute the hash chain and check every signed checkpoint')
    .option('--file <jsonl>', 'verify an exported file offline instead of the database')
    .action(
      action<{ file?: string }>(async (o, g, out) => {
        let r: VerifyResult & { lineOfFirstBad?: number };
        if (o.file) r = await verifyAuditExport(createReadStream(o.file));
        else {
          const ctx = await openContext(g, { logLevel: 'silent' });
          try {
            r = await verifyAuditDb(ctx.db);
          } finally {
            await ctx.close();
          }
        }
        out.print(describe(r), r);
        return r.ok ? EXIT.ok : EXIT.verifyFailed;
      }),
    );

  audit
    .command('export')
    .description('write the log as JSONL with signed checkpoints (verifiable offline)')
    .option('--out <file>', 'output file (default: stdout)')
    .action(
      action<{ out?: string }>(async (o, g, out) => {
        const ctx = await openContext(g, { logLevel: 'silent' });
        try {
          if (ctx.audit) await ctx.audit.checkpointIfDue(true);
          const dest = o.out ? createWriteStream(o.out) : process.stdout;
          const stats = await exportAudit(ctx.db, dest);
          if (o.out) {
            dest.end();
            await once(dest, 'finish');
            out.print(`exported ${stats.entries} entries and ${stats.checkpoints} checkpoints to ${o.out}`, { ...stats, file: o.out });
          }
        } finally {
          await ctx.close();
        }
      }),
    );

  audit
    .command('keys')
    .description('public keys that sign checkpoints (compare with an export header out of band)')
    .action(
      action(async (_o, g, out) => {
        const ctx = await openContext(g, { logLevel: 'silent' });
        try {
          const keys = await auditStore.keys(ctx.db);
          out.print(keys.map((k) => `${k.keyId}\n${k.publicPem}`).join('\n'), keys);
        } finally {
          await ctx.close();
        }
      }),
    );
}
