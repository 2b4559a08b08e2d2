/**
 * The OCSP servers, all started inside ONE private network namespace (loopback only) together
 * with the load generator: `openssl ocsp -port` binds every address and must live there (peers
 * README), and the other sides run there too so every side sees the same loopback.
 * - Gatehouse: `gatehouse serve --role ca` (POST /ocsp, GET /ocsp/<b64>), SQLite store.
 * - cfssl ocspserve with the pre-signed responses (POST only: its GET is broken in this build).
 * - openssl ocsp -port with index.txt, signing every answer live; a FRESH responder per run,
 *   because a connection closed without a request makes it spin forever (peers README), and the
 *   load generator closes its connections at the end of a run.
 * - A ceiling: a bare Node HTTP server answering a fixed 1 KiB body (ceiling-server.ts), the
 *   most requests/s this load generator and Node's HTTP stack reach on this machine.
 * check() sends one request with curl inside the namespace and verifies the answer with
 * `openssl ocsp -respin` (signature chain to our root, status good, nonce echoed when sent).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ocspServe } from '../lib/cfssl.ts';
import { serve, type GhServer } from '../lib/gatehouse.ts';
import { freePort, log, run, start, TSX_NODE, waitListening, type Started, type Wrap } from '../lib/proc.ts';
import { getPath, type OcspFixture } from './fixture.ts';

export interface OcspServers {
  gh: GhServer;
  ghOcsp: string;
  cfssl: (Started & { url: string }) | null;
  ceiling: Started & { url: string };
  /** Starts a fresh `openssl ocsp -port` responder (stop it after each run). */
  openssl(): Promise<Started & { url: string }>;
}

export async function startServers(f: OcspFixture, wrap: Wrap, logDir: string, cfsslBin: string | null): Promise<OcspServers> {
  const gh = await serve(f.pki, { logDir, wrap });
  const cfssl = cfsslBin && f.cfsslResponses ? await ocspServe(cfsslBin, { responsesFile: f.cfsslResponses, logDir, wrap }) : null;
  const cport = freePort();
  const [node, ...nodeArgs] = TSX_NODE;
  const ceilingProc = start('ceiling-server', node!, [...nodeArgs, join(import.meta.dirname, 'ceiling-server.ts'), String(cport)], { logDir, wrap });
  await waitListening(cport, wrap);
  const openssl = async () => {
    const port = freePort();
    const s = start(`openssl-ocsp-${port}`, 'openssl', ['ocsp', '-index', f.opensslIndex, '-port', String(port), '-rsigner', f.responderFile, '-rkey', f.responderKeyFile, '-CA', f.pki.issuingCertFile, '-ndays', '1'], { logDir, wrap });
    await waitListening(port, wrap);
    return { ...s, url: `http://127.0.0.1:${port}` };
  };
  return { gh, ghOcsp: `${gh.http}/ocsp`, cfssl, ceiling: { ...ceilingProc, url: `http://127.0.0.1:${cport}` }, openssl };
}

/**
 * One request to `url` (POST to the URL, or GET url/<b64>), answer verified by openssl:
 * chain to our root, "good", and the nonce echoed when the request carried one.
 */
export async function check(what: string, f: OcspFixture, wrap: Wrap, url: string, method: 'GET' | 'POST', i: number, withNonce: boolean): Promise<void> {
  const req = (withNonce ? f.nonce : f.plain)[i]!;
  const reqFile = join(f.dir, 'check-req.der');
  const respFile = join(f.dir, 'check-resp.der');
  writeFileSync(reqFile, req);
  const u = new URL(url);
  const curlArgs =
    method === 'POST'
      ? ['-sS', '--max-time', '10', '-o', respFile, '-H', 'Content-Type: application/ocsp-request', '--data-binary', `@${reqFile}`, url]
      : ['-sS', '--max-time', '10', '-o', respFile, `${u.origin}${getPath(u.pathname, req)}`];
  await run('curl', curlArgs, { wrap });
  const openssl = (args: string[]) => run('openssl', ['ocsp', '-respin', respFile, '-CAfile', f.chainFile, ...args], { timeoutMs: 10_000, stderr: true }).catch((e: Error) => e.message);
  // status of the certificate (with -cert, openssl builds its own request, so no nonce check here)
  let out = await openssl(['-no_nonce', '-issuer', f.pki.issuingCertFile, '-cert', f.leafFiles[i]!]);
  let ok = /Response verify OK/.test(out) && /: good/.test(out);
  // the nonce: compared against the request actually sent
  if (ok && withNonce) {
    out = await openssl(['-reqin', reqFile]);
    ok = /Response verify OK/.test(out) && !/no nonce|Nonce Verify error/i.test(out);
  }
  if (!ok) throw new Error(`${what}: answer does not verify:\n${out.slice(0, 800)}`);
  log(`  checked ${what}: signature OK, status good${withNonce ? ', nonce echoed' : ''}`);
}
