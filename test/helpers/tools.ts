/**
 * Real-client availability for interop tests.
 * In CI (CI=true) a missing tool FAILS the test; elsewhere the test is skipped with the Debian
 * package to install (scripts/install-test-tools.sh installs them all).
 */
import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';

const cache = new Map<string, string | null>();

export function findTool(name: string): string | null {
  if (cache.has(name)) return cache.get(name) ?? null;
  let found: string | null = null;
  for (const dir of ['', '/usr/sbin/', '/sbin/', '/usr/bin/']) {
    try {
      const p = dir ? dir + name : execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) {
        execFileSync('test', ['-x', p]);
        found = p;
        break;
      }
    } catch {
      /* keep looking */
    }
  }
  cache.set(name, found);
  return found;
}

/** Returns the tool's path, or fails (CI) / skips (dev) the test naming the package. */
export function requireTool(t: TestContext, name: string, debPackage: string): string | null {
  const p = findTool(name);
  if (p) return p;
  const msg = `${name} not found: apt-get install ${debPackage} (or run scripts/install-test-tools.sh)`;
  if (process.env.CI) throw new Error(msg);
  t.skip(msg);
  return null;
}
