/**
 * Child processes of a benchmark: servers (Gatehouse, peers), load generators and measuring
 * children. Every PID started here is tracked and stopped by PID (SIGTERM, then SIGKILL after
 * 3 s) when its benchmark ends or the runner exits; nothing is ever killed by name.
 *
 * Readiness is checked by polling the socket table (`ss -Hltn`), never by connecting: a bare
 * connect + close wedges `openssl ocsp -port` (peers README). Optionally inside a private
 * network namespace (createNetns() at the end of this file), where ss must run too.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findOrInstall, log } from './tools.ts';

const exec = promisify(execFile);
const live = new Set<ChildProcess>();

export const TSX_NODE = [process.execPath, '--import', 'tsx'];
export { log };
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wraps a command to run inside a network namespace, or unchanged. */
export type Wrap = (cmd: string, args: string[]) => [string, string[]];
export const direct: Wrap = (cmd, args) => [cmd, args];

export interface Started {
  proc: ChildProcess;
  stop(): Promise<void>;
  /** Text written to stdout so far (also kept in <logDir>/<name>.log). */
  output(): string;
}

/** Starts a long-running process, output to <logDir>/<name>.log; tracked until stopped. */
export function start(name: string, cmd: string, args: string[], o: { logDir: string; wrap?: Wrap; env?: NodeJS.ProcessEnv; cwd?: string }): Started {
  const [c, a] = (o.wrap ?? direct)(cmd, args);
  const opts: SpawnOptions = { env: { ...process.env, ...o.env }, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] };
  const proc = spawn(c, a, opts);
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  const file = createWriteStream(join(o.logDir, `${name}.log`));
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    if (out.length < 1 << 20) out += d.toString();
    file.write(d);
  });
  proc.stderr!.on('data', (d: Buffer) => file.write(d));
  proc.once('exit', () => file.end());
  return { proc, stop: () => stopProc(proc), output: () => out };
}

export async function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 3_000);
  await done;
  clearTimeout(t);
}

/** Stops every process still running (called by the runner on exit). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map(stopProc));
}

export function killAllSync(): void {
  for (const p of live) if (p.exitCode === null) p.kill('SIGKILL');
}

/** Runs a command to completion (stdout, plus stderr with `stderr: true`); throws with its output on a non-zero exit. */
export async function run(cmd: string, args: string[], o: { wrap?: Wrap; cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; stderr?: boolean } = {}): Promise<string> {
  const [c, a] = (o.wrap ?? direct)(cmd, args);
  const p = exec(c, a, { cwd: o.cwd, env: { ...process.env, ...o.env }, maxBuffer: 256 << 20, encoding: 'utf8', timeout: o.timeoutMs ?? 600_000 });
  if (o.input !== undefined) p.child.stdin!.end(o.input);
  try {
    const r = await p;
    return o.stderr ? r.stdout + r.stderr : r.stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.slice(0, 6).join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`.slice(0, 4000));
  }
}

/**
 * Runs a measuring child (Node + tsx) that prints one JSON object as its last stdout line, and
 * returns it. Tracked like servers, so an interrupted run leaves nothing behind.
 */
export async function runJson<T>(script: string, args: string[], o: { wrap?: Wrap; env?: NodeJS.ProcessEnv; nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<T> {
  const [c, a] = (o.wrap ?? direct)(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', script, ...args]);
  const proc = spawn(c, a, { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), o.timeoutMs ?? 300_000);
  const code = await new Promise<number | null>((r) => proc.once('exit', (c2) => r(c2)));
  clearTimeout(timer);
  live.delete(proc);
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`${script} exited ${code}: ${err.slice(-3000)}${out.slice(-1000)}`);
  return JSON.parse(last) as T;
}

/** Waits until something listens on TCP `port` (socket table, no connect), at most `ms`. */
export async function waitListening(port: number, wrap: Wrap = direct, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const out = await run('ss', ['-Hltn', `sport = :${port}`], { wrap }).catch(() => '');
    if (out.trim()) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on TCP port ${port} after ${ms} ms`);
}

let nextPort = 18_700 + (process.pid % 100) * 10;
/** A port for a server that cannot pick its own (cfssl, openssl); distinct within one run. */
export const freePort = (): number => nextPort++;

/**
 * A private network namespace with only loopback, for servers that bind every address
 * (`openssl ocsp -port`, scepserver): nothing they open is reachable from outside. A holder
 * process `unshare -n sleep` owns it, `ip link set lo up` brings up its loopback, and wrap()
 * turns a command into `nsenter -t <holder> -n -- cmd ...`, so the server AND its load generator
 * run in the same namespace (peers README). Needs root; returns { error } otherwise.
 */
export interface Netns {
  wrap: Wrap;
  pid: number;
  close(): Promise<void>;
}

export async function createNetns(): Promise<Netns | { error: string }> {
  const unshare = findOrInstall('unshare', 'util-linux');
  const nsenter = findOrInstall('nsenter', 'util-linux');
  const ip = findOrInstall('ip', 'iproute2');
  if (!unshare || !nsenter || !ip) return { error: 'unshare/nsenter/ip missing (util-linux, iproute2)' };
  if (process.getuid?.() !== 0) return { error: 'a private network namespace needs root' };
  const holder: ChildProcess = spawn(unshare, ['-n', '--', 'sleep', '86400'], { stdio: 'ignore' });
  await sleep(100);
  if (holder.exitCode !== null || holder.pid === undefined) return { error: `unshare -n failed (exit ${holder.exitCode})` };
  const pid = holder.pid;
  const wrap: Wrap = (cmd, args) => [nsenter, ['-t', String(pid), '-n', '--', cmd, ...args]];
  try {
    await run(ip, ['link', 'set', 'lo', 'up'], { wrap });
    const links = await run(ip, ['-o', 'link', 'show'], { wrap });
    const names = links
      .trim()
      .split('\n')
      .map((l) => l.split(': ')[1]);
    if (names.join(',') !== 'lo') throw new Error(`unexpected interfaces in the private namespace: ${names.join(', ')}`);
  } catch (e) {
    await stopProc(holder);
    return { error: (e as Error).message };
  }
  log(`private network namespace ready (holder pid ${pid}, loopback only)`);
  return { wrap, pid, close: () => stopProc(holder) };
}
