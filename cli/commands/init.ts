/**
 * `gatehouse init`: prepares a node's data directory.
 *   --dev   a complete DEVELOPMENT PKI in one step: random passphrases in <dataDir>/secrets (0600),
 *           an offline root in <offline-dir> (default ./offline, its key encrypted with its own
 *           passphrase file there — on a real deployment that folder lives on an offline machine),
 *           an issuing CA signed by it and installed, the audit key, and <dataDir>/gatehouse.yaml.
 *           Every name says DEVELOPMENT so nobody mistakes it for production.
 * Without --dev it only creates the audit key and migrates (the ceremony is done by hand with
 * `gatehouse ca root init` / `ca issuing csr` / `ca root sign-issuing` / `ca issuing install`).
 * The service never loads the root key: after init, serve works with ./offline unreadable.
 */
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../../platform/index.ts';
import { createIssuingKeyAndCsr, registerIssuer } from '../../ca/index.ts';
import { createRoot, signIssuing } from '../../ca/root/index.ts';
import { toPem } from '../../ca/asn1/index.ts';
import { ensureAuditKey, openContext, readConfig, type GlobalOpts } from '../context.ts';
import { action } from '../run.ts';
import type { Out } from '../output.ts';

const secret = () => randomBytes(32).toString('base64url');

export async function initDev(g: GlobalOpts, offlineDirOpt: string, out: Out | null): Promise<{ created: boolean; issuerId?: string }> {
  const pre = readConfig(g);
  const dataDir = resolve(pre.dataDir);
  const cfgFile = join(dataDir, 'gatehouse.yaml');
  const offlineDir = resolve(offlineDirOpt);
  if (existsSync(cfgFile) || pre.configFile) return { created: false };
  mkdirSync(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  const caPassFile = join(dataDir, 'secrets', 'ca-passphrase');
  writeFileAtomic(caPassFile, secret() + '\n');
  const rootPass = secret();
  mkdirSync(offlineDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(join(offlineDir, 'root-passphrase'), rootPass + '\n');
  writeFileAtomic(
    cfgFile,
    [
      '# Gatehouse DEVELOPMENT configuration, written by `gatehouse init --dev`.',
      '# The CA passphrase file unlocks the issuing CA and audit keys; the root key is NOT here.',
      'ca:',
      `  keyPassphrase: { file: ${relative(dataDir, caPassFile)} }`,
      '',
    ].join('\n'),
    0o600,
  );
  const g2 = { ...g, config: cfgFile };
  const config = readConfig(g2);
  ensureAuditKey(config);
  const root = createRoot({ dir: offlineDir, passphrase: rootPass, algorithm: 'P-384', subject: { commonName: 'Gatehouse DEVELOPMENT Root CA', organization: 'Gatehouse (development only)' }, validityYears: 10 });
  const k = createIssuingKeyAndCsr({ keyDir: resolve(config.ca.keyDir ?? join(dataDir, 'ca')), passphrase: config.ca.keyPassphrase!.reveal(), algorithm: 'P-256', subject: { commonName: 'Gatehouse DEVELOPMENT Issuing CA 1', organization: 'Gatehouse (development only)' } });
  const signed = await signIssuing({ dir: offlineDir, passphrase: rootPass, csrDer: k.csrDer, validityYears: 5 });
  writeFileSync(join(dataDir, 'ca', 'root.crt.pem'), toPem('CERTIFICATE', root.certDer));
  const ctx = await openContext(g2, { needAudit: true, logLevel: 'silent' });
  try {
    const rec = await registerIssuer(ctx.db, ctx.audit!, { certDer: signed.certDer, chainDer: [root.certDer], keyFile: k.keyFile, actor: 'init:dev', passphrase: config.ca.keyPassphrase!.reveal() });
    await ctx.audit!.record({ actor: 'init:dev', action: 'node.init', target: `node:${config.nodeId}`, data: { dev: true, issuerId: rec.id, root: root.certFile } });
    out?.print(
      [
        'DEVELOPMENT PKI created:',
        `  root (offline, never loaded by serve): ${root.certFile}  key: ${root.keyFile}`,
        `  issuing CA ${rec.id}: ${rec.subject}`,
        `  config: ${cfgFile}`,
        '  Do not use this PKI in production: the root passphrase sits next to the root key.',
      ].join('\n'),
      { dataDir, offlineDir, issuerId: rec.id, config: cfgFile },
    );
    return { created: true, issuerId: rec.id };
  } finally {
    await ctx.close();
  }
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('prepare the data directory (--dev: create a complete development PKI)')
    .option('--dev', 'create a development root + issuing CA and configuration')
    .option('--offline-dir <dir>', 'where the development root goes', './offline')
    .action(
      action<{ dev?: boolean; offlineDir: string }>(async (o, g, out) => {
        if (o.dev) {
          const r = await initDev(g, o.offlineDir, out);
          if (!r.created) out.print('already initialised (a configuration exists); nothing done', { created: false });
          return;
        }
        const config = readConfig(g);
        ensureAuditKey(config);
        const ctx = await openContext(g, { needAudit: true, logLevel: 'silent' });
        await ctx.close();
        out.print(`data directory ${resolve(config.dataDir)} ready (database migrated, audit key present)`, { dataDir: resolve(config.dataDir) });
      }),
    );
}
