/**
 * `gatehouse device ...` and `gatehouse segment ...`: the device inventory.
 *   device add|update|list|show|approve|quarantine|release|retire|token|import
 *   device requests [--approve ID --device DEV | --reject ID]
 *   segment put|list|delete
 * `device retire` is the decommission: revokes every certificate (cessationOfOperation),
 * invalidates tokens, removes the device from network policy and records the evidence.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { AppError } from '../../platform/index.ts';
import { InventoryService } from '../../enrollment/inventory/service.ts';
import { importDevices, rowsFromText } from '../../enrollment/inventory/import.ts';
import { loadTrustAnchors, Onboarding } from '../../enrollment/onboarding/index.ts';
import type { Device } from '../../enrollment/inventory/model.ts';
import { openContext, type Context, type GlobalOpts } from '../context.ts';
import { withCa } from '../ca-open.ts';
import { action, cliActor } from '../run.ts';
import type { CaService } from '../../ca/index.ts';

const many = (v: string, prev: string[] = []) => [...prev, v];
const actor = cliActor;
const ctxFor = (g: GlobalOpts) => () => openContext(g, { needAudit: true, logLevel: 'silent' });

function services(ctx: Context, ca: CaService) {
  const inventory = new InventoryService({ db: ctx.db, audit: ctx.audit!, bus: ctx.bus });
  const onboarding = new Onboarding({ db: ctx.db, audit: ctx.audit!, bus: ctx.bus, ca, inventory, config: ctx.config.enrollment, idevidAnchors: loadTrustAnchors(ctx.config.enrollment.idevid.trustAnchors) });
  return { inventory, onboarding };
}

const withInv = <T>(g: GlobalOpts, fn: (s: ReturnType<typeof services>, ctx: Context) => Promise<T>) => withCa(ctxFor(g), (ctx, ca) => fn(services(ctx, ca), ctx));

const line = (d: Device) => `${d.id.padEnd(20)} ${d.state.padEnd(11)} ${d.segment.padEnd(12)} ${d.function.padEnd(12)} ${d.name}`;

type DevOpts = { name?: string; function?: string; owner?: string; location?: string; risk?: string; segment?: string; mac?: string[]; manufacturer?: string; model?: string; idevidSerial?: string; firmware?: string; dnsName?: string; mabOnly?: boolean };
function fields(o: DevOpts): Record<string, unknown> {
  const m: Record<string, unknown> = { name: o.name, function: o.function, owner: o.owner, location: o.location, riskTier: o.risk, segment: o.segment, macs: o.mac, manufacturer: o.manufacturer, model: o.model, idevidSerial: o.idevidSerial, firmwareVersion: o.firmware, dnsName: o.dnsName, mabOnly: o.mabOnly };
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined));
}
function deviceOptions(c: Command): Command {
  return c
    .option('--name <name>')
    .option('--function <fn>', 'camera | hvac | badge-reader | pos | sensor | ...')
    .option('--owner <owner>')
    .option('--location <where>')
    .option('--risk <tier>', 'low | medium | high | critical')
    .option('--segment <name>')
    .option('--mac <mac>', 'MAC address (repeatable)', many)
    .option('--manufacturer <m>')
    .option('--model <m>')
    .option('--idevid-serial <serial>', 'manufacturer IDevID serial number')
    .option('--firmware <version>')
    .option('--dns-name <name>')
    .option('--mab-only', 'cannot do 802.1X: authenticate by MAC (MAB)');
}

export function registerDevice(program: Command): void {
  const device = program.command('device').description('device inventory and lifecycle');
  deviceOptions(device.command('add <id>').description('register a device')).action(
    action<DevOpts>(async (o, g, out, [id]) => withInv(g, async ({ inventory }) => {
      const d = await inventory.addDevice({ id: id!, ...fields(o) } as never, actor());
      out.print(`device ${d.id} registered in segment ${d.segment}`, d);
    })),
  );
  deviceOptions(device.command('update <id>').description('change device fields')).action(
    action<DevOpts>(async (o, g, out, [id]) => withInv(g, async ({ inventory }) => {
      const d = await inventory.updateDevice(id!, fields(o) as never, actor());
      out.print(`device ${d.id} updated`, d);
    })),
  );
  device.command('list').description('list devices').option('--state <s>').option('--segment <s>').option('--function <f>').action(
    action<{ state?: string; segment?: string; function?: string }>(async (o, g, out) => withInv(g, async ({ inventory }) => {
      const ds = await inventory.list(o as never);
      out.print(ds.map(line).join('\n') || 'no devices', ds);
    })),
  );
  device.command('show <id>').description('show a device and its certificates').action(
    action(async (_o, g, out, [id]) => withCa(ctxFor(g), async (ctx, ca) => {
      const { inventory } = services(ctx, ca);
      const d = await inventory.get(id!);
      if (!d) throw new AppError('ERR_DEVICE_UNKNOWN', `no device ${id}`);
      const certs = await ca.listCerts({ deviceId: id!, limit: 50 });
      const human = `${JSON.stringify(d, null, 2)}\ncertificates:\n${certs.map((c) => `  ${c.serial} ${c.state} until ${c.notAfter?.toISOString() ?? '-'}`).join('\n') || '  none'}`;
      out.print(human, { ...d, certificates: certs.map((c) => ({ serial: c.serial, issuerId: c.issuerId, state: c.state, notAfter: c.notAfter })) });
    })),
  );
  for (const [cmd, desc] of [['approve', 'approve a registered device for enrollment'], ['release', 'release a quarantined device']] as const)
    device.command(`${cmd} <id>`).description(desc).action(
      action(async (_o, g, out, [id]) => withInv(g, async ({ inventory }) => {
        const d = await inventory.approve(id!, actor());
        out.print(`device ${d.id} is ${d.state}`, d);
      })),
    );
  device.command('quarantine <id>').description('quarantine a device (RADIUS rejects or isolates it, live sessions are kicked)').requiredOption('--reason <text>').action(
    action<{ reason: string }>(async (o, g, out, [id]) => withInv(g, async ({ inventory }) => {
      const d = await inventory.quarantine(id!, actor(), o.reason);
      out.print(`device ${d.id} quarantined`, d);
    })),
  );
  device.command('retire <id>').description('decommission: revoke all certificates, invalidate tokens, remove from network policy').action(
    action(async (_o, g, out, [id]) => withInv(g, async ({ onboarding }, ctx) => {
      if (ctx.config.db.url) await ctx.bus.listen(ctx.config.db.url).catch(() => undefined);
      const r = await onboarding.retire(id!, actor());
      out.print(`device ${id} retired: ${r.revoked.length} certificate(s) revoked, ${r.tokensRevoked} token(s) invalidated`, { deviceId: id, ...r });
    })),
  );
  device.command('token <id>').description('create a one-time enrollment token (shown once)').option('--ttl-hours <h>').action(
    action<{ ttlHours?: string }>(async (o, g, out, [id]) => withInv(g, async ({ onboarding }) => {
      const t = await onboarding.createToken(id!, actor(), o.ttlHours ? Number(o.ttlHours) : undefined);
      out.print(`${t.token}\n(expires ${t.expiresAt.toISOString()}; single use; EST Basic password or SCEP challenge)`, { deviceId: id, token: t.token, expiresAt: t.expiresAt });
    })),
  );
  device.command('import <file>').description('bulk import devices from CSV or JSON (all or nothing)').option('--format <f>', 'csv | json (default: from the file name)').action(
    action<{ format?: string }>(async (o, g, out, [file]) => withInv(g, async ({ inventory }, ctx) => {
      const format = (o.format ?? (file!.endsWith('.json') ? 'json' : 'csv')) as 'csv' | 'json';
      const rows = rowsFromText(readFileSync(file!, 'utf8'), format);
      const bar = !out.json && process.stderr.isTTY && rows.length > 50 ? new SingleBar({ stream: process.stderr }, Presets.shades_classic) : null;
      bar?.start(rows.length, 0);
      try {
        const r = await importDevices(ctx.db, inventory, rows, actor(), (done) => bar?.update(done));
        out.print(`imported ${r.imported} device(s)`, r);
      } catch (e) {
        const rowsErr = (e as AppError).detail?.rows as Array<{ row: number; errors: string }> | undefined;
        if (rowsErr && !out.json) process.stderr.write(rowsErr.map((r) => `row ${r.row}: ${r.errors}`).join('\n') + '\n');
        throw e;
      } finally {
        bar?.stop();
      }
    })),
  );
  device.command('requests').description('enrollment requests waiting for approval').option('--approve <requestId>').option('--device <id>', 'the inventory device the approved request is').option('--reject <requestId>').option('--all', 'include decided requests').action(
    action<{ approve?: string; device?: string; reject?: string; all?: boolean }>(async (o, g, out) => withInv(g, async ({ onboarding }) => {
      if (o.approve) await onboarding.decideRequest(o.approve, 'approved', o.device ?? null, actor());
      if (o.reject) await onboarding.decideRequest(o.reject, 'rejected', null, actor());
      const rows = (await onboarding.listRequests(o.all ? undefined : 'pending')).map((r) => ({ id: r.id, status: r.status, protocol: r.protocol, claimed: r.claimed_identity, deviceId: r.device_id, createdAt: new Date(Number(r.created_at)).toISOString() }));
      out.print(rows.map((r) => `${r.id}  ${r.status.padEnd(8)} ${r.protocol}  ${r.claimed}  ${r.createdAt}`).join('\n') || 'no requests', rows);
    })),
  );

  const seg = program.command('segment').description('network segments (VLAN per device segment)');
  seg.command('put <name>').description('create or update a segment').requiredOption('--vlan <id>').option('--description <text>').option('--flows <json>', 'JSON array of { to, ports, protocol, purpose }').action(
    action<{ vlan: string; description?: string; flows?: string }>(async (o, g, out, [name]) => withInv(g, async ({ inventory }) => {
      const s = await inventory.putSegment({ name: name!, vlanId: Number(o.vlan), ...(o.description ? { description: o.description } : {}), ...(o.flows ? { flows: JSON.parse(o.flows) } : {}) }, actor());
      out.print(`segment ${s.name} -> VLAN ${s.vlanId}`, s);
    })),
  );
  seg.command('list').description('list segments').action(
    action(async (_o, g, out) => withInv(g, async ({ inventory }) => {
      const ss = await inventory.segments();
      out.print(ss.map((s) => `${s.name.padEnd(16)} VLAN ${String(s.vlanId).padEnd(5)} ${s.description}`).join('\n') || 'no segments', ss);
    })),
  );
  seg.command('delete <name>').description('delete an empty segment').action(
    action(async (_o, g, out, [name]) => withInv(g, async ({ inventory }) => {
      await inventory.deleteSegment(name!, actor());
      out.print(`segment ${name} deleted`, { deleted: name });
    })),
  );
}
