/**
 * Drives the real `gatehouse` command as a child process (the way operators and CI use it).
 * runCli() runs one command; startServe() starts `gatehouse serve` on ephemeral ports and waits
 * for its JSON "serving" line to learn the addresses.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const GATEHOUSE = join(import.meta.dirname, '..', '..', 'bin', 'gatehouse.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliResult> {
  try {
    const r = await exec(process.execPath, [GATEHOUSE, ...args], { env: { ...process.env, ...env }, cwd, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

export async function cliJson<T = Record<string, unknown>>(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<T> {
  const r = await runCli(['--json', ...args], env, cwd);
  if (r.code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${r.code}: ${r.stdout} ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface Serving {
  proc: ChildProcess;
  addresses: Record<string, string>;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function startServe(args: string[], env: Record<string, string>, cwd?: string, timeoutMs = 30_000): Promise<Serving> {
  const proc = spawn(process.execPath, [GATEHOUSE, '--json', 'serve', ...args], {
    env: { ...process.env, GATEHOUSE_HTTP__PORT: '0', GATEHOUSE_ADMIN__PORT: '0', GATEHOUSE_API__PORT: '0', GATEHOUSE_ENROLLMENT__EST__PORT: '0', GATEHOUSE_LOG__LEVEL: 'warn', ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const addresses = await new Promise<Record<string, string>>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start in ${timeoutMs} ms: ${err}`)), timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{[\s\S]*"addresses"[\s\S]*\}\s*$/.exec(out);
      if (m) {
        try {
          const j = JSON.parse(m[0]) as { addresses: Record<string, string> };
          clearTimeout(t);
          resolve(j.addresses);
        } catch {
          /* partial JSON: wait for more */
        }
      }
    });
    proc.once('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`serve exited ${c}: ${err}`));
    });
  });
  return {
    proc,
    addresses,
    stderr: () => err,
    async stop() {
      if (proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}
