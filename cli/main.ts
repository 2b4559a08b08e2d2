/**
 * The `gatehouse` command: the composition root. Only cli/ wires concrete objects together.
 */
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.ts';
import { registerCa } from './commands/ca.ts';
import { registerCert } from './commands/cert.ts';
import { registerCrl } from './commands/crl.ts';
import { registerDevice } from './commands/device.ts';
import { registerEvidence } from './commands/evidence.ts';
import { registerInit } from './commands/init.ts';
import { registerServe } from './commands/serve.ts';
import { EXIT } from './output.ts';

export function buildProgram(): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: private CA and zero-trust onboarding for IoT fleets')
    .option('-c, --config <file>', 'YAML configuration file (default: $GATEHOUSE_CONFIG or <data-dir>/gatehouse.yaml)')
    .option('-d, --data-dir <dir>', 'data directory (default ./data)')
    .option('--json', 'machine-readable JSON output')
    .showHelpAfterError()
    .exitOverride();
  registerInit(program);
  registerServe(program);
  registerCa(program);
  registerCert(program);
  registerCrl(program);
  registerDevice(program);
  registerAudit(program);
  registerEvidence(program);
  return program;
}

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else throw e;
}
