/** `gatehouse crl publish | show`: publish a CRL now (full or delta) or print the latest. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { AppError } from '../../platform/index.ts';
import { CrlService } from '../../ca/crl/index.ts';
import { openContext, type GlobalOpts } from '../context.ts';
import { withCa } from '../ca-open.ts';
import { action } from '../run.ts';

const ctxFor = (g: GlobalOpts) => () => openContext(g, { needAudit: true, logLevel: 'silent' });

export function registerCrl(program: Command): void {
  const crl = program.command('crl').description('certificate revocation lists');
  for (const [name, desc] of [
    ['publish', 'build, sign and publish a CRL now'],
    ['show', 'print the latest published CRL'],
  ] as const) {
    crl
      .command(name)
      .description(desc)
      .option('--issuer <id>', 'issuer id (default: the active issuer)')
      .option('--delta', 'the delta CRL instead of the full one')
      .option('--out <file>', 'write the CRL (DER) to a file')
      .option('--pem', 'print PEM')
      .action(
        action<{ issuer?: string; delta?: boolean; out?: string; pem?: boolean }>(async (o, g, out) =>
          withCa(ctxFor(g), async (ctx, ca) => {
            const issuerId = o.issuer ?? ca.activeIssuer().record.id;
            const svc = new CrlService({ db: ctx.db, ca, bus: ctx.bus, config: ctx.config.ca.crl, publicUrl: ctx.config.http.publicUrl, log: ctx.log, audit: ctx.audit ?? undefined });
            const c = name === 'publish' ? await svc.publish(issuerId, { delta: Boolean(o.delta) }) : await svc.latest(issuerId, { delta: Boolean(o.delta) });
            if (!c) throw new AppError('ERR_NOT_FOUND', `no ${o.delta ? 'delta ' : ''}CRL published yet for ${issuerId}`);
            if (o.out) writeFileSync(o.out, c.der);
            const info = { issuerId, number: c.number.toString(), delta: c.delta, thisUpdate: c.thisUpdate, nextUpdate: c.nextUpdate, entries: c.entries, ...(o.out ? { file: o.out } : {}) };
            out.print(o.pem ? svc.pem(c).toString() : `${o.delta ? 'delta ' : ''}CRL #${c.number} for ${issuerId}: ${c.entries} entries, next update ${c.nextUpdate.toISOString()}${o.out ? ` -> ${o.out}` : ''}`, info);
          }),
        ),
      );
  }
}
