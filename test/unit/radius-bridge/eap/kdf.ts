/**
 * Independent EAP-TLS key derivation from the client's keylog, to check the engine's MSK against
 * the RFC text rather than against Node's exporter alone:
 * - TLS 1.2 (RFC 5216 §2.3): TLS-PRF(master_secret, "client EAP encryption", client.random ||
 *   server.random), PRF = P_<hash> of RFC 5246 §5.
 * - TLS 1.3 (RFC 9190 §2.3): TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", 0x0D, 128) with the
 *   exporter of RFC 8446 §7.5 over the EXPORTER_SECRET.
 */
import { createHash, createHmac } from 'node:crypto';

function pHash(hash: string, secret: Buffer, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let a = seed;
  let total = 0;
  while (total < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

function hkdfExpand(hash: string, prk: Buffer, info: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    t = createHmac(hash, prk)
      .update(t)
      .update(info)
      .update(Buffer.from([i]))
      .digest();
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, length);
}

function expandLabel(hash: string, secret: Buffer, label: string, context: Buffer, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, full.length]),
    full,
    Buffer.from([context.length]),
    context,
  ]);
  return hkdfExpand(hash, secret, info, length);
}

function keylogSecret(lines: string[], name: string): { clientRandom: Buffer; secret: Buffer } {
  const line = lines.find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in keylog`);
  const [, cr, secret] = line.split(' ');
  return { clientRandom: Buffer.from(cr!, 'hex'), secret: Buffer.from(secret!, 'hex') };
}

/** ServerHello.random from the first server flight (plaintext record, RFC 5246 §7.4.1.3). */
export function serverRandom(firstFlight: Buffer): Buffer {
  if (firstFlight[0] !== 22 || firstFlight[5] !== 2) throw new Error('first server record is not a ServerHello');
  return firstFlight.subarray(11, 43);
}

export function expectedKeyMaterial12(keylog: string[], firstServerFlight: Buffer, hash: string): Buffer {
  const { clientRandom, secret } = keylogSecret(keylog, 'CLIENT_RANDOM');
  const seed = Buffer.concat([Buffer.from('client EAP encryption'), clientRandom, serverRandom(firstServerFlight)]);
  return pHash(hash, secret, seed, 128);
}

export function expectedKeyMaterial13(keylog: string[], hash: string): Buffer {
  const { secret } = keylogSecret(keylog, 'EXPORTER_SECRET');
  const hashLen = createHash(hash).digest().length;
  const derived = expandLabel(hash, secret, 'EXPORTER_EAP_TLS_Key_Material', createHash(hash).digest(), hashLen);
  return expandLabel(
    hash,
    derived,
    'exporter',
    createHash(hash)
      .update(Buffer.from([0x0d]))
      .digest(),
    128,
  );
}

/** Hash of the negotiated suite's PRF/HKDF. */
export function suiteHash(cipherName: string): string {
  return /SHA384/i.test(cipherName) ? 'sha384' : 'sha256';
}
