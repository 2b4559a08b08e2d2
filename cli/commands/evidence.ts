/** `gatehouse evidence`: the auditor's export (inventory coverage, patch posture, containment, audit). */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { InventoryService } from '../../enrollment/inventory/service.ts';
import { buildEvidence, type EvidenceReport } from '../../enrollment/evidence/report.ts';
import { openContext } from '../context.ts';
import { withCa } from '../ca-open.ts';
import { action } from '../run.ts';

function human(r: EvidenceReport): string {
  const c = r.containment;
  return [
    `evidence generated ${r.generatedAt}`,
    `inventory: ${r.inventory.total} devices (${Object.entries(r.inventory.byState).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`,
    `coverage: ${r.inventory.withGoodCertificate}/${r.inventory.active} active devices hold a good certificate (${r.inventory.coveragePercent}%); ${r.inventory.mabOnly} MAB-only`,
    r.inventory.withoutCertificate.length ? `  without certificate: ${r.inventory.withoutCertificate.slice(0, 20).join(', ')}${r.inventory.withoutCertificate.length > 20 ? ' ...' : ''}` : '',
    `patch posture: ${r.patchPosture.unknownFirmware.length} unknown firmware, ${r.patchPosture.stale.length} not updated in ${r.patchPosture.staleFirmwareDays} days`,
    `certificates: ${r.certificates.issued} issued, ${r.certificates.expiringWithin30Days} expiring within 30 days, revoked ${JSON.stringify(r.certificates.revokedByReason)}`,
    `containment: ${c.cases.length} case(s); median ${c.medianMs ?? '-'} ms, max ${c.maxMs ?? '-'} ms`,
    `audit chain: ${r.audit.ok ? `OK (${r.audit.entries} entries, ${r.audit.checkpoints} checkpoints)` : `BROKEN at seq ${r.audit.firstBad?.seq}: ${r.audit.firstBad?.reason}`}`,
  ]
    .filter(Boolean)
    .join('\n');
}

export function registerEvidence(program: Command): void {
  program
    .command('evidence')
    .description('export evidence for auditors: inventory coverage, patch posture, time to contain, audit chain')
    .option('--stale-days <n>', 'firmware older than this counts as stale', '180')
    .option('--out <file>', 'also write the JSON report to a file')
    .action(
      action<{ staleDays: string; out?: string }>(async (o, g, out) =>
        withCa(
          () => openContext(g, { needAudit: true, logLevel: 'silent' }),
          async (ctx, ca) => {
            const inventory = new InventoryService({ db: ctx.db, audit: ctx.audit!, bus: ctx.bus });
            const r = await buildEvidence({ db: ctx.db, ca, inventory, staleFirmwareDays: Number(o.staleDays) });
            if (o.out) writeFileSync(o.out, JSON.stringify(r, null, 2));
            out.print(human(r), r);
            return r.audit.ok ? 0 : 4;
          },
        ),
      ),
    );
}
