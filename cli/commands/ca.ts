/**
 * `gatehouse ca ...`: the key ceremony and issuer management.
 *   ca root init          offline: create the root (key encrypted in --offline-dir)
 *   ca issuing csr        online node: create the issuing key (encrypted with ca.keyPassphrase) + CSR
 *   ca root sign-issuing  offline: sign the issuing CSR (pathLen 0, optional name constraints)
 *   ca issuing install    online node: register the signed issuing certificate (rollover-safe)
 *   ca issuers            list issuers and their status
 *   ca root crl           offline: the root's CRL (revoked issuing CAs)
 * The root key is only ever read by the `ca root ...` commands, from --offline-dir.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { createIssuingKeyAndCsr, listIssuerRecords, registerIssuer, type SubjectSpec } from '../../ca/index.ts';
import { createRoot, rootCrl, signIssuing, type RootAlgorithm } from '../../ca/root/index.ts';
import { openContext, readConfig } from '../context.ts';
import { readDerOrPem, readPassphrase, readPemChain, writePem } from '../files.ts';
import { action } from '../run.ts';
import { AppError } from '../../platform/index.ts';

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function subject(o: { cn?: string; org?: string; country?: string }, fallbackCn: string): SubjectSpec {
  return { commonName: o.cn ?? fallbackCn, ...(o.org ? { organization: o.org } : {}), ...(o.country ? { country: o.country } : {}) };
}

export function registerCa(program: Command): void {
  const ca = program.command('ca').description('key ceremony and issuing CAs');
  const root = ca.command('root').description('offline root operations (run on the offline machine)');

  root
    .command('init')
    .description('create the offline root key and self-signed certificate')
    .requiredOption('--offline-dir <dir>', 'offline folder that will hold root.key.pem (encrypted) and root.crt.pem')
    .requiredOption('--passphrase-file <file>', 'file holding the root key passphrase (>= 12 chars)')
    .option('--algorithm <alg>', 'P-384 | P-256 | RSA-3072 | RSA-4096', 'P-384')
    .option('--cn <name>', 'root common name', 'Gatehouse Root CA')
    .option('--org <name>', 'organization')
    .option('--country <cc>', 'country code')
    .option('--years <n>', 'validity in years', '20')
    .action(
      action<{ offlineDir: string; passphraseFile: string; algorithm: string; cn?: string; org?: string; country?: string; years: string }>(async (o, _g, out) => {
        const r = createRoot({ dir: resolve(o.offlineDir), passphrase: readPassphrase(o.passphraseFile, 'root'), algorithm: o.algorithm as RootAlgorithm, subject: subject(o, 'Gatehouse Root CA'), validityYears: Number(o.years) });
        out.print(`root created: ${r.certFile}\nkey (encrypted): ${r.keyFile}\nserial ${r.serial}, valid until ${r.notAfter.toISOString()}`, { certFile: r.certFile, keyFile: r.keyFile, serial: r.serial, notAfter: r.notAfter });
      }),
    );

  root
    .command('sign-issuing')
    .description('sign an issuing CA CSR with the offline root (pathLen 0)')
    .requiredOption('--offline-dir <dir>', 'offline folder with the root')
    .requiredOption('--passphrase-file <file>', 'root key passphrase file')
    .requiredOption('--csr <file>', 'issuing CA CSR (PEM or DER)')
    .requiredOption('--out <file>', 'where to write the issuing CA certificate (PEM)')
    .option('--years <n>', 'validity in years', '5')
    .option('--permit-dns <list>', 'name constraints: permitted DNS subtrees, comma separated')
    .option('--exclude-dns <list>', 'name constraints: excluded DNS subtrees')
    .option('--permit-email <list>', 'name constraints: permitted email domains')
    .option('--crl-url <url>', 'where the root CRL is published (CDP of the issuing CA)')
    .action(
      action<{ offlineDir: string; passphraseFile: string; csr: string; out: string; years: string; permitDns?: string; excludeDns?: string; permitEmail?: string; crlUrl?: string }>(async (o, _g, out) => {
        const nc = o.permitDns || o.excludeDns || o.permitEmail ? { permittedDns: list(o.permitDns), excludedDns: list(o.excludeDns), permittedEmail: list(o.permitEmail) } : undefined;
        const s = await signIssuing({
          dir: resolve(o.offlineDir),
          passphrase: readPassphrase(o.passphraseFile, 'root'),
          csrDer: readDerOrPem(o.csr, 'CERTIFICATE REQUEST'),
          validityYears: Number(o.years),
          ...(nc ? { nameConstraints: nc } : {}),
          ...(o.crlUrl ? { crlUrl: o.crlUrl } : {}),
        });
        writePem(o.out, 'CERTIFICATE', [s.certDer]);
        out.print(`issuing CA certificate written to ${o.out} (serial ${s.serial}, until ${s.notAfter.toISOString()})`, { file: o.out, serial: s.serial, notAfter: s.notAfter });
      }),
    );

  root
    .command('crl')
    .description("produce the root's CRL offline")
    .requiredOption('--offline-dir <dir>', 'offline folder with the root')
    .requiredOption('--passphrase-file <file>', 'root key passphrase file')
    .option('--revoke <serials>', 'revoked issuing CA serials, comma separated (serial[:reason])')
    .option('--days <n>', 'nextUpdate in days', '365')
    .action(
      action<{ offlineDir: string; passphraseFile: string; revoke?: string; days: string }>(async (o, _g, out) => {
        const revoked = (list(o.revoke) ?? []).map((s) => {
          const [serial, reason] = s.split(':');
          return { serial: serial!, ...(reason ? { reason: reason as never } : {}) };
        });
        const c = rootCrl({ dir: resolve(o.offlineDir), passphrase: readPassphrase(o.passphraseFile, 'root'), revokedSerials: revoked, nextUpdateDays: Number(o.days) });
        out.print(`root CRL #${c.number} written to ${c.file} (${c.entries} entries, next update ${c.nextUpdate.toISOString()})`, { file: c.file, number: c.number.toString(), entries: c.entries });
      }),
    );

  const issuing = ca.command('issuing').description('issuing CA on the online node');
  issuing
    .command('csr')
    .description('create the issuing CA key (encrypted with ca.keyPassphrase) and its CSR')
    .requiredOption('--out <file>', 'where to write the CSR (PEM)')
    .option('--algorithm <alg>', 'P-256 | P-384 | RSA-3072 | RSA-4096', 'P-256')
    .option('--cn <name>', 'issuing CA common name', 'Gatehouse Issuing CA')
    .option('--org <name>', 'organization')
    .action(
      action<{ out: string; algorithm: string; cn?: string; org?: string }>(async (o, g, out) => {
        const config = readConfig(g);
        if (!config.ca.keyPassphrase) throw new AppError('ERR_CONFIG', 'ca.keyPassphrase is not configured');
        const keyDir = resolve(config.ca.keyDir ?? join(config.dataDir, 'ca'));
        const r = createIssuingKeyAndCsr({ keyDir, passphrase: config.ca.keyPassphrase.reveal(), algorithm: o.algorithm as never, subject: subject(o, 'Gatehouse Issuing CA') });
        writePem(o.out, 'CERTIFICATE REQUEST', [r.csrDer]);
        out.print(`issuing key: ${r.keyFile}\nCSR: ${o.out}\nissuer id will be ${r.issuerId}`, { keyFile: r.keyFile, csr: o.out, issuerId: r.issuerId });
      }),
    );

  issuing
    .command('install')
    .description('register a signed issuing CA certificate; the previous active issuer starts retiring')
    .requiredOption('--cert <file>', 'issuing CA certificate (PEM)')
    .requiredOption('--chain <file>', 'parents up to the root (PEM), e.g. root.crt.pem')
    .requiredOption('--key <file>', 'the issuing key file created by `ca issuing csr`')
    .action(
      action<{ cert: string; chain: string; key: string }>(async (o, g, out) => {
        const ctx = await openContext(g, { needAudit: true, logLevel: 'silent' });
        try {
          const rec = await registerIssuer(ctx.db, ctx.audit!, { certDer: readDerOrPem(o.cert, 'CERTIFICATE'), chainDer: readPemChain(o.chain), keyFile: resolve(o.key), actor: 'cli', passphrase: ctx.config.ca.keyPassphrase!.reveal() });
          out.print(`issuer ${rec.id} installed and active: ${rec.subject}`, { id: rec.id, subject: rec.subject, notAfter: rec.notAfter });
        } finally {
          await ctx.close();
        }
      }),
    );

  ca.command('issuers')
    .description('list issuing CAs')
    .action(
      action(async (_o, g, out) => {
        const ctx = await openContext(g, { logLevel: 'silent' });
        try {
          const rows = await listIssuerRecords(ctx.db);
          out.print(rows.map((r) => `${r.id}  ${r.status.padEnd(8)}  until ${r.notAfter.toISOString().slice(0, 10)}  ${r.subject}`).join('\n') || 'no issuers', rows.map((r) => ({ id: r.id, status: r.status, subject: r.subject, notBefore: r.notBefore, notAfter: r.notAfter })));
        } finally {
          await ctx.close();
        }
      }),
    );
}
