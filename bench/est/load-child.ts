/**
 * The EST benchmark's load generator (started by index.ts through lib/proc.ts runJson, never
 * imported): one process, `connections` concurrent loops (lib/once-load.ts), argv[2] = JSON spec.
 *
 * Modes, all with the same client TLS options (our CA chain as trust anchor, SNI localhost,
 * never a session offered, so every handshake is full):
 * - est: POST /.well-known/est/simpleenroll with HTTP Basic `deviceId:token`, each pre-made
 *   one-time token used once (tokens [from, from+count) of the seed file). The CSR (the same
 *   P-256 device key for every request and for the cfssl side) carries the TLS channel binding
 *   of its connection in challengePassword (RFC 7030 §3.5: tls-exporter on TLS 1.3, tls-unique
 *   on 1.2), as Gatehouse requires by default: built once per connection (one ECDSA sign on
 *   the client). Success = 200 with a body (a base64 certs-only PKCS#7). wire.ts builds both.
 * - reenroll: POST simplereenroll over mutual TLS with the device's current certificate.
 * - fixed: the same raw HTTP request again and again (cfssl's sign API, plain HTTP keep-alive).
 * - handshake: a full TLS handshake, then close (the physical limit of new-connection EST).
 * keepAlive false = one new connection per request (as devices enroll), `Connection: close`.
 * Prints one JSON line shaped like lib/load.ts LoadResult plus exhausted/resumed/firstFailure.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { SoftwareSigner } from '../../platform/crypto.ts';
import { childOutput, emptyResult, isResumed, onceLoad, openSocket, type OnceLoadResult, type OnceTls } from '../lib/once-load.ts';
import { csrFor, estRequest } from './wire.ts';

export interface EstLoadSpec {
  mode: 'est' | 'reenroll' | 'fixed' | 'handshake';
  host: string;
  port: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  keepAlive: boolean;
  tls?: OnceTls;
  /** est: seed file (`deviceId token` lines), the slice to use; est and reenroll: the device key (PEM). */
  tokensFile?: string;
  from?: number;
  count?: number;
  keyPem?: string;
  /** fixed: the raw request, base64. */
  request64?: string;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as EstLoadSpec;

/** Requests for mode est (one token each, until none is left) or reenroll (unlimited). */
function estRequests(reenroll: boolean): (s: Socket) => Buffer | null {
  const lines = reenroll ? [] : readFileSync(spec.tokensFile!, 'utf8').trim().split('\n').slice(spec.from, spec.from! + spec.count!);
  const signer = new SoftwareSigner(createPrivateKey(spec.keyPem!));
  const csrOf = new WeakMap<Socket, string>();
  let i = 0;
  return (s) => {
    const line = reenroll ? '' : lines[i++];
    if (line === undefined) return null;
    let csr64 = csrOf.get(s);
    if (!csr64) csrOf.set(s, (csr64 = csrFor(signer, s, reenroll)));
    const [user, pass] = line.split(' ');
    const close = !spec.keepAlive;
    if (reenroll) return estRequest({ port: spec.port, op: 'simplereenroll', csr64, close });
    return estRequest({ port: spec.port, op: 'simpleenroll', csr64, basic: { user: user!, pass: pass! }, close });
  };
}

/** Full handshakes, then close: the ceiling of one-connection-per-enrollment. */
async function handshakes(seconds: number): Promise<OnceLoadResult> {
  const res = emptyResult();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const start = performance.now();
      try {
        const s = await openSocket(spec.host, spec.port, spec.tls, 30_000);
        if (isResumed(s)) res.resumed++;
        s.destroy();
        if (performance.now() > end) break;
        res.ok++;
        res.latency.record(performance.now() - start);
      } catch (e) {
        res.errors++;
        res.firstFailure ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, () => loop()));
  res.seconds = (Math.min(performance.now(), end) - t0) / 1000;
  return res;
}

async function phase(seconds: number, next: ((s: Socket) => Buffer | null) | null): Promise<OnceLoadResult> {
  if (spec.mode === 'handshake' || !next) return handshakes(seconds);
  return onceLoad({
    host: spec.host,
    port: spec.port,
    connections: spec.connections,
    seconds,
    keepAlive: spec.keepAlive,
    ...(spec.tls ? { tls: spec.tls } : {}),
    next,
    check: (a) => a.body.length > 0,
  });
}

const fixed = spec.request64 ? Buffer.from(spec.request64, 'base64') : null;
const next = spec.mode === 'est' || spec.mode === 'reenroll' ? estRequests(spec.mode === 'reenroll') : spec.mode === 'fixed' ? () => fixed : null;
const warm = spec.warmupSeconds ? await phase(spec.warmupSeconds, next) : null;
const r = await phase(spec.seconds, next);
console.log(JSON.stringify({ ...childOutput(r, warm), non2xx: r.failed + (warm?.failed ?? 0), resumed: r.resumed + (warm?.resumed ?? 0) }));
