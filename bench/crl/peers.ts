/**
 * CRL peers, signing with the SAME P-256 issuing key and certificate as Gatehouse:
 * - `openssl ca -gencrl` over an index.txt of N revoked entries (reads the flat-file database,
 *   builds, signs, writes PEM) with CRL number and authorityKeyIdentifier extensions — the
 *   counterpart of CrlService.publish (store read + build + sign + store);
 * - `cfssl gencrl <serials> <cert> <key>` (reads a serial list, builds with Go's x509, signs,
 *   prints base64 DER) — the counterpart of the pure builder.
 * Wall time is measured around the process (spawn to exit, so it includes process start, a few
 * ms); peak RSS comes from GNU time (`/usr/bin/time -f %M`, Debian package `time`).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findOrInstall } from '../lib/tools.ts';

export interface PeerRun {
  ms: number;
  peakRssMiB: number;
  bytes: number;
}

/** GNU time (not the shell keyword): /usr/bin/time from Debian package `time`. */
export const gnuTime = (): string | null => findOrInstall('/usr/bin/time', 'time');

/** Runs `cmd args` under GNU time with stdout to `outFile`; wall ms and peak RSS. */
async function timed(time: string, dir: string, cmd: string, args: string[], outFile: string): Promise<PeerRun> {
  const tf = join(dir, 'time.out');
  const t0 = performance.now();
  const out = openSync(outFile, 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      const p = spawn(time, ['-f', '%M', '-o', tf, cmd, ...args], { stdio: ['ignore', out, 'pipe'] });
      let err = '';
      p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      p.once('error', reject);
      p.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} exited ${c}: ${err.slice(-800)}`))));
    });
  } finally {
    closeSync(out);
  }
  const ms = performance.now() - t0;
  const kb = Number(readFileSync(tf, 'utf8').trim().split('\n').pop());
  return { ms, peakRssMiB: Math.round(kb / 102.4) / 10, bytes: readFileSync(outFile).length };
}

export interface OpensslCa {
  run(): Promise<PeerRun>;
}

export function opensslCa(time: string, dir: string, o: { indexFile: string; certFile: string; keyFile: string }): OpensslCa {
  const cnf = join(dir, 'openssl-ca.cnf');
  const crlnumber = join(dir, 'crlnumber');
  writeFileSync(crlnumber, '1000\n');
  writeFileSync(`${o.indexFile}.attr`, 'unique_subject = no\n');
  writeFileSync(
    cnf,
    [
      '[ ca ]',
      'default_ca = bench',
      '[ bench ]',
      `database = ${o.indexFile}`,
      `certificate = ${o.certFile}`,
      `private_key = ${o.keyFile}`,
      `crlnumber = ${crlnumber}`,
      'default_md = sha256',
      'default_crl_days = 1',
      'unique_subject = no',
      'crl_extensions = crl_ext',
      '[ crl_ext ]',
      'authorityKeyIdentifier = keyid:always',
      '',
    ].join('\n'),
  );
  return { run: () => timed(time, dir, 'openssl', ['ca', '-gencrl', '-config', cnf, '-batch', '-out', '/dev/stdout'], join(dir, 'openssl-crl.pem')) };
}

export function cfsslGencrl(time: string, cfssl: string, dir: string, o: { serialsFile: string; certFile: string; keyFile: string }): { run(): Promise<PeerRun> } {
  return { run: () => timed(time, dir, cfssl, ['gencrl', o.serialsFile, o.certFile, o.keyFile], join(dir, 'cfssl-crl.b64')) };
}
