/**
 * Test-side view of the wire: top-level TLVs read straight from the octets, without the codec,
 * and the RFC formulas written out again with node:crypto for tests that must run without python.
 */
import { createHash, createHmac } from 'node:crypto';

export interface WireTlv {
  type: number;
  /** The whole TLV: type, length, value. */
  bytes: Buffer;
  value: Buffer;
  offset: number;
}

export function wireTlvs(packet: Buffer): WireTlv[] {
  const out: WireTlv[] = [];
  const end = packet.readUInt16BE(2);
  for (let off = 20; off < end;) {
    const len = packet[off + 1] as number;
    out.push({
      type: packet[off] as number,
      bytes: packet.subarray(off, off + len),
      value: packet.subarray(off + 2, off + len),
      offset: off,
    });
    off += len;
  }
  return out;
}

export const tlv = (type: number, value: Buffer | number[] | string): Buffer => {
  const v = Buffer.isBuffer(value) ? value : Buffer.from(value as never);
  return Buffer.concat([Buffer.from([type, v.length + 2]), v]);
};

/**
 * Signs a request the RFC 5176 §3.4 way (HMAC with zero authenticator, then MD5) or in the npm
 * `radius` package's order (MD5 first, then HMAC over the packet holding that authenticator).
 */
export function signHashedRequest(unsigned: Buffer, secret: string, order: 'rfc' | 'radius-package'): Buffer {
  const p = Buffer.from(unsigned);
  const ma = wireTlvs(p).find((a) => a.type === 80);
  const zero = Buffer.alloc(16);
  zero.copy(p, 4);
  if (ma) zero.copy(p, ma.offset + 2);
  const md5 = () =>
    createHash('md5').update(p.subarray(0, 4)).update(zero).update(p.subarray(20)).update(secret).digest();
  const hmac = () => createHmac('md5', secret).update(p).digest();
  if (order === 'rfc') {
    if (ma) hmac().copy(p, ma.offset + 2);
    md5().copy(p, 4);
  } else {
    const auth = md5();
    auth.copy(p, 4);
    if (ma) hmac().copy(p, ma.offset + 2);
  }
  return p;
}
