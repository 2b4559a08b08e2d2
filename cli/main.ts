/**
 * The `gatehouse` command: the composition root. Only cli/ wires concrete objects together.
 */
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.ts';
import { EXIT } from './output.ts';

export function buildProgram(): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: private CA and zero-trust onboarding for IoT fleets')
    .option('-c, --config <file>', 'YAML configuration file (default: $GATEHOUSE_CONFIG or <data-dir>/gatehouse.yaml)')
    .option('-d, --data-dir <dir>', 'data directory (default ./data)')
    .option('--json', 'machine-readable JSON output')
    .showHelpAfterError()
    .exitOverride();
  registerAudit(program);
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
