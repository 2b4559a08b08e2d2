/**
 * nameConstraints for an issuing CA (RFC 5280 §4.2.1.10), encoded on the owned DER writer.
 *
 * Rules enforced:
 * - NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 *   excludedSubtrees [1] GeneralSubtrees OPTIONAL }; at least one present; the extension is
 *   critical (§4.2.1.10 MUST).
 * - GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0 (omitted),
 *   maximum [1] absent } (§4.2.1.10: minimum MUST be zero, maximum MUST be absent).
 * - dNSName constraints: a host name in preferred syntax, optionally with a leading '.'
 *   (OpenSSL semantics: "example.com" allows the name and its subdomains).
 * - rfc822Name: a full address, a host, or ".domain" (any host within the domain).
 * - iPAddress: CIDR "a.b.c.d/n" or IPv6 "x::/n" -> address followed by mask (8 or 32 octets),
 *   host bits zero.
 * - URI: a host or ".domain" (§4.2.1.10, URI constraints name a host).
 */
import { AppError } from '../../platform/errors.ts';
import { contextPrimitive, ipToBytes, isValidDnsName, isValidEmail, OID, seq, tlv } from '../asn1/index.ts';
import type { CertExtension } from '../extensions.ts';

export interface NameConstraintsInput {
  permittedDns?: string[];
  excludedDns?: string[];
  permittedEmail?: string[];
  excludedEmail?: string[];
  permittedIp?: string[];
  excludedIp?: string[];
  permittedUri?: string[];
  excludedUri?: string[];
}

const bad = (msg: string): AppError => new AppError('ERR_BAD_INPUT', msg);
const ia5 = (tag: number, s: string): Buffer => contextPrimitive(tag, Buffer.from(s, 'latin1'));
const host = (s: string): boolean => isValidDnsName(s.startsWith('.') ? s.slice(1) : s, false);

function dns(s: string): Buffer {
  if (!host(s)) throw bad(`invalid DNS name constraint ${s}`);
  return ia5(2, s);
}
function email(s: string): Buffer {
  if (!(s.includes('@') ? isValidEmail(s) : host(s))) throw bad(`invalid email name constraint ${s}`);
  return ia5(1, s);
}
function uri(s: string): Buffer {
  if (!host(s)) throw bad(`invalid URI name constraint ${s}`);
  return ia5(6, s);
}
function ip(cidr: string): Buffer {
  const m = /^(.+)\/(\d{1,3})$/.exec(cidr);
  if (!m) throw bad(`IP name constraint must be CIDR: ${cidr}`);
  const addr = ipToBytes(m[1] as string);
  const bits = Number(m[2]);
  if (bits > addr.length * 8) throw bad(`invalid prefix length in ${cidr}`);
  const mask = Buffer.alloc(addr.length);
  for (let i = 0; i < bits; i++) mask[i >> 3] = (mask[i >> 3] as number) | (0x80 >> (i & 7));
  if (addr.some((b, i) => (b & ~(mask[i] as number) & 0xff) !== 0)) throw bad(`host bits set in ${cidr}`);
  return contextPrimitive(7, Buffer.concat([addr, mask]));
}

function subtrees(lists: Array<[string[] | undefined, (s: string) => Buffer]>): Buffer[] {
  const out: Buffer[] = [];
  for (const [list, enc] of lists) for (const s of list ?? []) out.push(seq(enc(s)));
  return out;
}

export function nameConstraints(nc: NameConstraintsInput): CertExtension {
  const permitted = subtrees([
    [nc.permittedDns, dns],
    [nc.permittedEmail, email],
    [nc.permittedIp, ip],
    [nc.permittedUri, uri],
  ]);
  const excluded = subtrees([
    [nc.excludedDns, dns],
    [nc.excludedEmail, email],
    [nc.excludedIp, ip],
    [nc.excludedUri, uri],
  ]);
  if (!permitted.length && !excluded.length) throw bad('nameConstraints needs at least one subtree');
  const parts: Buffer[] = [];
  if (permitted.length) parts.push(tlv(0xa0, ...permitted));
  if (excluded.length) parts.push(tlv(0xa1, ...excluded));
  return { oid: OID.nameConstraints, critical: true, value: seq(...parts) };
}
