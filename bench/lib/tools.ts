/**
 * Peer programs come from Debian packages (BENCHMARKS.md): findOrInstall() looks for the binary,
 * installs the package with apt-get when it is missing and we are root, and otherwise returns
 * null with a clear "MISSING" line so the benchmark reports the peer side as not measured instead
 * of failing. Also the scratch directory every benchmark writes into (outside the repository).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const log = (msg: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

const found = new Map<string, string | null>();
let aptUpdated = false;

function which(bin: string): string | null {
  if (bin.startsWith('/')) return existsSync(bin) ? bin : null;
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Path of `bin`, installing Debian package `pkg` if needed; null (and a MISSING line) if impossible. */
export function findOrInstall(bin: string, pkg: string): string | null {
  if (found.has(bin)) return found.get(bin)!;
  let p = which(bin);
  if (!p && process.getuid?.() === 0 && which('apt-get') && process.env.BENCH_NO_INSTALL !== '1') {
    log(`${bin} not found: installing Debian package ${pkg}`);
    try {
      if (!aptUpdated) {
        execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 180_000 });
        aptUpdated = true;
      }
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
    } catch (e) {
      log(`apt-get install ${pkg} failed: ${(e as Error).message.split('\n')[0]}`);
    }
    p = which(bin);
  }
  if (!p) log(`MISSING: ${bin} (Debian package ${pkg}) — the peer side that needs it is NOT measured`);
  found.set(bin, p);
  return p;
}

export function missingNote(bin: string, pkg: string): string {
  return `peer ${bin} missing (apt-get install ${pkg}): peer side not measured`;
}

/** Scratch space for one benchmark: $BENCH_TMP/<name> or a fresh temp dir; removed by cleanup(). */
export function scratch(name: string): { dir: string; cleanup(): void } {
  const base = process.env.BENCH_TMP;
  let dir: string;
  if (base) {
    dir = join(base, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  } else dir = mkdtempSync(join(tmpdir(), `gh-bench-${name}-`));
  return {
    dir,
    cleanup() {
      if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rounds per side (A B A B ...): BENCH_ROUNDS, default 3. */
export const rounds = (): number => Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3) | 0);
/** Seconds per load run: BENCH_SECONDS, default given by the benchmark. */
export const seconds = (dflt: number): number => Math.max(1, Number(process.env.BENCH_SECONDS ?? dflt));
