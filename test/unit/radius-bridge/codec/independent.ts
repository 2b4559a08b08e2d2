/**
 * Runs independent.py (RFC formulas in hashlib/hmac, and python3-pyrad) for cross-checks.
 * Missing python3 / pyrad: skip with the Debian package to install, fail in CI (like requireTool).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

const SCRIPT = fileURLToPath(new URL('./independent.py', import.meta.url));
// pyenv or a venv may shadow the Debian python that has python3-pyrad.
const PYTHONS = ['python3', '/usr/bin/python3'];
const found = new Map<string, string | null>();

function pythonWith(module: string): string | null {
  if (found.has(module)) return found.get(module) ?? null;
  const hit = PYTHONS.find((py) => spawnSync(py, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0) ?? null;
  found.set(module, hit);
  return hit;
}

function unavailable(t: TestContext, what: string, deb: string): null {
  const msg = `${what} not found: apt-get install ${deb} (or run scripts/install-test-tools.sh)`;
  if (process.env.CI) throw new Error(msg);
  t.skip(msg);
  return null;
}

/** Result of an independent.py operation, or null when the test was skipped. */
export function independent<T>(t: TestContext, op: string, args: Record<string, unknown>): T | null {
  const pyrad = op.startsWith('pyrad_');
  const py = pythonWith(pyrad ? 'pyrad' : 'hashlib');
  if (!py) return pyrad ? unavailable(t, 'python3 pyrad', 'python3-pyrad') : unavailable(t, 'python3', 'python3');
  const run = spawnSync(py, [SCRIPT], { input: JSON.stringify({ op, ...args }), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`independent.py ${op} failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { result: T }).result;
}

export const hex = (b: Buffer): string => b.toString('hex');
