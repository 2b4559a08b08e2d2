/**
 * Helpers for the RADIUS interop tests: run a real client asynchronously (the bridge lives in the
 * test process, so a synchronous spawn would block it), eapol_test configuration and output.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  code: number | null;
  out: string;
}

/**
 * Runs `cmd` to completion, stdout and stderr kept together, SIGKILL after `timeoutMs`. `input` is
 * written to stdin, which is then closed; null gives the client no stdin at all (/dev/null), for
 * clients that never read it (eapol_test in the benchmark: no pipe that could break under load).
 */
export function run(cmd: string, args: string[], input: string | null = '', timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    if (input !== null) {
      // a client that exits before reading its stdin must not crash the test run with EPIPE
      p.stdin!.on('error', () => undefined);
      p.stdin!.end(input);
    }
  });
}

export interface EapolOptions {
  tls13?: boolean;
  fragmentSize?: number;
  identity?: string;
}

/** Writes an eapol_test network block (REAL-CLIENTS.md) and returns its path. */
export function eapolConf(
  dir: string,
  name: string,
  files: { ca: string; cert: string; key: string },
  o: EapolOptions = {},
): string {
  const lines = [
    'network={',
    '  key_mgmt=IEEE8021X',
    '  eap=TLS',
    `  identity="${o.identity ?? name}"`,
    `  ca_cert="${files.ca}"`,
    `  client_cert="${files.cert}"`,
    `  private_key="${files.key}"`,
    '  eapol_flags=0',
    ...(o.fragmentSize ? [`  fragment_size=${o.fragmentSize}`] : []),
    ...(o.tls13 ? ['  phase1="tls_disable_tlsv1_3=0"'] : []),
    '}',
  ];
  const path = join(dir, `${name}.eapol.conf`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

export interface EapolOutcome {
  code: number | null;
  success: boolean;
  mppeOk: boolean;
  tlsVersion: string | undefined;
  /** Tunnel-Private-Group-Id as eapol_test dumped it (the tag octet, if any, removed). */
  vlan: string | undefined;
  out: string;
}

export function parseEapol(r: RunResult): EapolOutcome {
  const hex = /Attribute 81 \(Tunnel-Private-Group-Id\) length=\d+\s*\n\s*Value: ([0-9a-f]+)/.exec(r.out)?.[1];
  let vlan: string | undefined;
  if (hex) {
    const b = Buffer.from(hex, 'hex');
    vlan = (b[0] !== undefined && b[0] <= 0x1f ? b.subarray(1) : b).toString();
  }
  return {
    code: r.code,
    success: r.code === 0 && /^SUCCESS$/m.test(r.out),
    mppeOk: r.out.includes('MPPE keys OK: 1  mismatch: 0'),
    tlsVersion: /Using TLS version (TLSv1\.\d)/.exec(r.out)?.[1],
    vlan,
    out: r.out,
  };
}
