/**
 * Builds a file of PKCSReq messages for one side (started by index.ts, two at a time, between
 * timed runs; never imported). argv[2] = JSON:
 *   { keysFile, recipientPem, out, items: "tokens" file (`deviceId token` lines, Gatehouse:
 *     CN = device id, challenge = its token) | { prefix, count, challenge } (scepserver: CN
 *     `<prefix>-<n>`, the shared challenge), slice [from, to) }
 * keysFile holds the requester pool as PEM private keys (the same file for both sides); each
 * key's self-signed signer certificate is made here and travels in every message it signs.
 * Message i is signed by key i mod pool size. Prints { count }.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { certInfo } from '../../enrollment/scep/cert-info.ts';
import { frame, pkcsReq, requester } from './messages.ts';

interface Args {
  keysFile: string;
  recipientPem: string;
  out: string;
  tokensFile?: string;
  prefix?: string;
  challenge?: string;
  from: number;
  to: number;
}
const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const keys = readFileSync(a.keysFile, 'utf8')
  .split(/(?=-----BEGIN PRIVATE KEY-----)/)
  .filter((p) => p.includes('BEGIN'))
  .map((p, i) => requester(createPrivateKey(p), i));
const recipient = certInfo(Buffer.from(new X509Certificate(a.recipientPem).raw));
const tokens = a.tokensFile ? readFileSync(a.tokensFile, 'utf8').trim().split('\n') : null;
const msgs: Buffer[] = [];
for (let i = a.from; i < a.to; i++) {
  const by = keys[i % keys.length]!;
  if (tokens) {
    const [id, token] = tokens[i]!.split(' ');
    msgs.push(await pkcsReq(by, recipient, id!, token!));
  } else msgs.push(await pkcsReq(by, recipient, `${a.prefix}-${i + 1}`, a.challenge!));
}
writeFileSync(a.out, frame(msgs));
console.log(JSON.stringify({ count: msgs.length }));
