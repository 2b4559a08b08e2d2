/**
 * The SCEP benchmark's load generator (started by index.ts inside the private network
 * namespace, never imported): `connections` keep-alive HTTP/1.1 loops (lib/once-load.ts) each
 * POSTing the next pre-built PKCSReq (messages.ts; each sent once) to
 * <path>?operation=PKIOperation as application/x-pki-message (RFC 8894 §4.3). An enrollment
 * counts only when the answer is HTTP 200 AND its CertRep says pkiStatus SUCCESS: a FAILURE
 * CertRep (HTTP 200 too) is counted as failed, with the first one reported.
 * argv[2] = JSON { host, port, path, connections, seconds, warmupSeconds, messagesFile }.
 * Prints one JSON line shaped like lib/load.ts LoadResult plus exhausted/firstFailure.
 */
import { childOutput, onceLoad, type OnceLoadResult } from '../lib/once-load.ts';
import { isSuccess, readMessages } from './messages.ts';

interface Spec {
  host: string;
  port: number;
  path: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  messagesFile: string;
}
const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const msgs = readMessages(spec.messagesFile);
let i = 0;
const next = (): Buffer | null => {
  const m = msgs[i++];
  if (!m) return null;
  const head = `POST ${spec.path}?operation=PKIOperation HTTP/1.1\r\nHost: ${spec.host}:${spec.port}\r\nContent-Type: application/x-pki-message\r\nContent-Length: ${m.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), m]);
};
const phase = (seconds: number): Promise<OnceLoadResult> =>
  onceLoad({ host: spec.host, port: spec.port, connections: spec.connections, seconds, keepAlive: true, next, check: (a) => isSuccess(a.body) });

const warm = spec.warmupSeconds ? await phase(spec.warmupSeconds) : null;
const r = await phase(spec.seconds);
console.log(JSON.stringify({ ...childOutput(r, warm), non2xx: r.failed, failedTotal: r.failed + (warm?.failed ?? 0) }));
