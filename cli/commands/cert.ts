/**
 * `gatehouse cert issue | list | show | revoke`: operator access to the CA.
 * `cert issue` is for operators (servers, admins); devices enroll over EST/SCEP instead.
 * Names come from the flags (the operator is the authority here), never from the CSR.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { AppError } from '../../platform/index.ts';
import { REVOCATION_REASONS, normalizeSerial, type CertRecord, type RevocationReason } from '../../ca/index.ts';
import { openContext, type GlobalOpts } from '../context.ts';
import { withCa } from '../ca-open.ts';
import { pem, readDerOrPem } from '../files.ts';
import { action, cliActor } from '../run.ts';

const many = (v: string, prev: string[] = []) => [...prev, v];
const ctxFor = (g: GlobalOpts) => () => openContext(g, { needAudit: true, logLevel: 'silent' });

function summary(r: CertRecord): Record<string, unknown> {
  return {
    issuerId: r.issuerId,
    serial: r.serial,
    state: r.state,
    profile: r.profile,
    deviceId: r.deviceId,
    subject: r.subject,
    sans: r.sans,
    notBefore: r.notBefore,
    notAfter: r.notAfter,
    fingerprint: r.fingerprint,
    revokedAt: r.revokedAt,
    revocationReason: r.revocationReason,
  };
}

function line(r: CertRecord): string {
  const until = r.notAfter ? r.notAfter.toISOString().slice(0, 10) : '-';
  return `${r.serial}  ${r.state.padEnd(8)}  ${r.profile.padEnd(14)}  until ${until}  ${r.subject}${r.deviceId ? `  [${r.deviceId}]` : ''}`;
}

export function registerCert(program: Command): void {
  const cert = program.command('cert').description('certificates issued by the online CA');

  cert
    .command('issue')
    .description('issue a certificate for a CSR under a profile')
    .requiredOption('--csr <file>', 'PKCS#10 request (PEM or DER)')
    .requiredOption('--profile <name>', 'device-tls | radius-server | admin-client | ocsp-responder | scep-ra | configured')
    .option('--cn <name>', 'subject common name')
    .option('--org <name>', 'subject organization')
    .option('--dns <name>', 'DNS SAN (repeatable)', many)
    .option('--ip <addr>', 'IP SAN (repeatable)', many)
    .option('--email <addr>', 'email SAN (repeatable)', many)
    .option('--uri <uri>', 'URI SAN (repeatable)', many)
    .option('--days <n>', 'validity in days (capped by the profile)')
    .option('--device <id>', 'inventory device this certificate belongs to')
    .option('--server-auth', 'add serverAuth (device-tls)')
    .option('--out <file>', 'write the certificate (PEM) here; chain follows it')
    .action(
      action<{ csr: string; profile: string; cn?: string; org?: string; dns?: string[]; ip?: string[]; email?: string[]; uri?: string[]; days?: string; device?: string; serverAuth?: boolean; out?: string }>(async (o, g, out) =>
        withCa(ctxFor(g), async (_ctx, ca) => {
          const c = await ca.issue(readDerOrPem(o.csr, 'CERTIFICATE REQUEST'), {
            profile: o.profile,
            subject: { ...(o.cn ? { commonName: o.cn } : {}), ...(o.org ? { organization: o.org } : {}) },
            sans: { ...(o.dns ? { dns: o.dns } : {}), ...(o.ip ? { ip: o.ip } : {}), ...(o.email ? { email: o.email } : {}), ...(o.uri ? { uri: o.uri } : {}) },
            ...(o.days ? { validityDays: Number(o.days) } : {}),
            ...(o.device ? { deviceId: o.device } : {}),
            ...(o.serverAuth ? { serverAuth: true } : {}),
            actor: cliActor(),
          });
          const text = pem('CERTIFICATE', c.der) + c.chain.map((d) => pem('CERTIFICATE', d)).join('');
          if (o.out) writeFileSync(o.out, text);
          out.print(o.out ? `issued serial ${c.serial} (issuer ${c.issuerId}) until ${c.notAfter.toISOString()} -> ${o.out}` : text, { issuerId: c.issuerId, serial: c.serial, notBefore: c.notBefore, notAfter: c.notAfter, pem: text });
        }),
      ),
    );

  cert
    .command('list')
    .description('list certificates')
    .option('--device <id>', 'only this device')
    .option('--state <state>', 'reserved | issued | revoked')
    .option('--profile <name>', 'only this profile')
    .option('--limit <n>', 'at most n', '100')
    .action(
      action<{ device?: string; state?: string; profile?: string; limit: string }>(async (o, g, out) =>
        withCa(ctxFor(g), async (_ctx, ca) => {
          const rows = await ca.listCerts({ ...(o.device ? { deviceId: o.device } : {}), ...(o.state ? { state: o.state as CertRecord['state'] } : {}), ...(o.profile ? { profile: o.profile } : {}), limit: Number(o.limit) });
          out.print(rows.map(line).join('\n') || 'no certificates', rows.map(summary));
        }),
      ),
    );

  cert
    .command('show <serial>')
    .description('show one certificate (and its PEM with --pem)')
    .option('--issuer <id>', 'issuer id (default: any issuer holding the serial)')
    .option('--pem', 'print the PEM')
    .action(
      action<{ issuer?: string; pem?: boolean }>(async (o, g, out, [serial]) =>
        withCa(ctxFor(g), async (_ctx, ca) => {
          const s = normalizeSerial(serial!);
          const ids = o.issuer ? [o.issuer] : ca.issuers().map((i) => i.record.id);
          for (const id of ids) {
            const r = await ca.getCert(id, s);
            if (!r) continue;
            const human = Object.entries(summary(r)).map(([k, v]) => `${k}: ${v instanceof Date ? v.toISOString() : JSON.stringify(v)}`).join('\n');
            out.print(o.pem && r.der ? pem('CERTIFICATE', r.der) : human, { ...summary(r), ...(r.der ? { pem: pem('CERTIFICATE', r.der) } : {}) });
            return;
          }
          throw new AppError('ERR_CERT_UNKNOWN', `no certificate with serial ${s}`);
        }),
      ),
    );

  cert
    .command('revoke <serial>')
    .description(`revoke a certificate; reasons: ${Object.keys(REVOCATION_REASONS).join(', ')}`)
    .option('--reason <reason>', 'RFC 5280 reason', 'unspecified')
    .option('--issuer <id>', 'issuer id')
    .option('--invalidity-date <iso>', 'when the key is known or suspected to have been compromised')
    .action(
      action<{ reason: string; issuer?: string; invalidityDate?: string }>(async (o, g, out, [serial]) =>
        withCa(ctxFor(g), async (ctx, ca) => {
          if (ctx.config.db.url) await ctx.bus.listen(ctx.config.db.url).catch(() => undefined);
          const r = await ca.revoke(normalizeSerial(serial!), o.reason as RevocationReason, {
            actor: cliActor(),
            ...(o.issuer ? { issuerId: o.issuer } : {}),
            ...(o.invalidityDate ? { invalidityDate: new Date(o.invalidityDate) } : {}),
          });
          out.print(`revoked ${r.serial} (issuer ${r.issuerId}) at ${r.revokedAt.toISOString()}: ${r.reason}`, r);
        }),
      ),
    );
}
