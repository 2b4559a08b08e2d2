/** Thin wrappers over the real openssl/certtool CLIs used by interop tests. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface ToolResult {
  code: number;
  out: string;
}

/** Runs a program; never throws on a non-zero exit (the test asserts on code and output). */
export async function run(cmd: string, args: string[], opts: { input?: Buffer | string; cwd?: string } = {}): Promise<ToolResult> {
  try {
    const p = exec(cmd, args, { cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
    if (opts.input !== undefined) {
      p.child.stdin!.end(opts.input);
    }
    const r = await p;
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, out: (err.stdout ?? '') + (err.stderr ?? '') };
  }
}

/** A P-256 key + CSR written to dir/name.key and dir/name.csr with openssl. */
export async function opensslCsr(dir: string, name: string, subj = '/CN=ignored'): Promise<{ key: string; csr: string }> {
  const key = `${dir}/${name}.key`;
  const csr = `${dir}/${name}.csr`;
  const r = await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', subj, '-out', csr]);
  if (r.code !== 0) throw new Error(r.out);
  return { key, csr };
}

export async function waitFor(fn: () => Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return fn();
}
