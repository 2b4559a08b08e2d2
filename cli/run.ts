/** Wraps a command action: global options, error reporting, exit code. */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import type { GlobalOpts } from './context.ts';
import { makeOut, reportError, type Out } from './output.ts';

export type Action<O> = (opts: O, g: GlobalOpts, out: Out, args: string[]) => Promise<number | void>;

export function action<O>(fn: Action<O>) {
  return async function (this: Command, ...argv: unknown[]): Promise<void> {
    const cmd = argv[argv.length - 1] as Command;
    const opts = cmd.opts() as O;
    const g = cmd.optsWithGlobals() as GlobalOpts;
    const args = argv.slice(0, -2).filter((a): a is string => typeof a === 'string');
    const out = makeOut(Boolean(g.json));
    try {
      const code = await fn(opts, g, out, args);
      process.exitCode = code ?? 0;
    } catch (e) {
      process.exitCode = reportError(e, Boolean(g.json));
    }
  };
}

/** The audit actor for changes made from the command line: the operating-system user. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:operator';
  }
}
