/**
 * Distinguished Names and GeneralNames: encoding from structured input, decoding for display.
 *
 * Rules enforced (bad input throws AppError('ERR_BAD_INPUT')):
 * - Name (RFC 5280 §4.1.2.4): single-valued RDNs in the fixed order DC..., C, ST, L, O, OU, CN,
 *   serialNumber; DirectoryString values as UTF8String, C and serialNumber as PrintableString
 *   (RFC 5280 App. A), DC as IA5String (RFC 4519 §2.4). Upper bounds of RFC 5280 App. A
 *   (CN/O/OU/serialNumber 64, L/ST 128, C exactly two upper-case letters).
 * - No empty or blank values; no C0/C1 controls, DEL, lone surrogates, line/paragraph separators
 *   or bidi embedding/override/isolate controls (they forge log lines and displayed names).
 * - GeneralNames (RFC 5280 §4.2.1.6): dNSName in preferred name syntax (RFC 1034 §3.5 LDH labels,
 *   1..63 octets, total <= 253, no trailing dot), a whole leading `*.` label allowed;
 *   rfc822Name is an ASCII addr-spec (dot-atom local part @ LDH domain); URI is absolute with a
 *   scheme and a scheme-specific part, RFC 3986 characters only, and a host when it has an
 *   authority; iPAddress is 4 (IPv4) or 16 (IPv6) octets, no zone id. Unknown keys, empty lists
 *   and duplicate entries are refused.
 * - Display (RFC 4514 §2): RDNs last-to-first joined by ',', multi-valued RDNs by '+', special
 *   characters and controls escaped; unknown types and non-string values as `#<hex of BER>`.
 */
import { isIPv6 } from 'node:net';
import { AppError } from '../../platform/errors.ts';
import { children, parseDerExact, rawOf, readOid, readString, type Tlv } from './der-reader.ts';
import { contextPrimitive, ia5String, oid, printableString, seq, set, utf8String } from './der-writer.ts';
import { DN_SHORT_NAMES, OID } from './oids.ts';

export interface Subject {
  domainComponent?: string[];
  country?: string;
  state?: string;
  locality?: string;
  organization?: string;
  organizationalUnit?: string;
  commonName?: string;
  serialNumber?: string;
}

export interface SanInput {
  dns?: string[];
  email?: string[];
  uri?: string[];
  ip?: string[];
}

const bad = (msg: string): AppError => new AppError('ERR_BAD_INPUT', msg);

// eslint-disable-next-line no-control-regex
const FORBIDDEN_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/u;

function checkText(field: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.trim() === '') throw bad(`${field} must be a non-empty string`);
  if (FORBIDDEN_RE.test(v)) throw bad(`${field} contains a control character`);
  if ([...v].length > max) throw bad(`${field} is longer than ${max} characters`);
  return v;
}

type Enc = (s: string) => Buffer;
const FIELDS: ReadonlyArray<[keyof Subject, string, number, Enc]> = [
  ['country', OID.countryName, 2, printableString],
  ['state', OID.stateOrProvinceName, 128, utf8String],
  ['locality', OID.localityName, 128, utf8String],
  ['organization', OID.organizationName, 64, utf8String],
  ['organizationalUnit', OID.organizationalUnitName, 64, utf8String],
  ['commonName', OID.commonName, 64, utf8String],
  ['serialNumber', OID.serialNumber, 64, printableString],
];
const SUBJECT_KEYS = new Set<string>(['domainComponent', ...FIELDS.map((f) => f[0])]);

const rdn = (type: string, value: Buffer): Buffer => set(seq(oid(type), value));

/** Encodes a Name (SEQUENCE OF RDN) in the fixed order; an empty subject gives an empty SEQUENCE. */
export function encodeName(subject: Subject): Buffer {
  for (const k of Object.keys(subject)) if (!SUBJECT_KEYS.has(k)) throw bad(`unknown subject attribute ${k}`);
  const rdns: Buffer[] = [];
  const dcs = subject.domainComponent ?? [];
  if (!Array.isArray(dcs)) throw bad('domainComponent must be an array');
  for (const dc of dcs) {
    if (typeof dc !== 'string' || !LABEL_RE.test(dc)) throw bad('domainComponent must be a DNS label');
    rdns.push(rdn(OID.domainComponent, ia5String(dc)));
  }
  for (const [key, type, max, enc] of FIELDS) {
    const v = subject[key];
    if (v === undefined) continue;
    const s = checkText(key, v, max);
    if (key === 'country' && !/^[A-Z]{2}$/.test(s)) throw bad('country must be two upper-case letters');
    rdns.push(rdn(type, enc(s)));
  }
  return seq(...rdns);
}

const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** RFC 1034 preferred name syntax (LDH), optionally with a whole leading `*` label. */
export function isValidDnsName(name: string, allowWildcard = true): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (allowWildcard && labels[0] === '*' && labels.length > 1) labels.shift();
  return labels.every((l) => LABEL_RE.test(l));
}

const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_RE = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);

export function isValidEmail(addr: string): boolean {
  if (typeof addr !== 'string') return false;
  const at = addr.lastIndexOf('@');
  if (at <= 0 || at > 64) return false;
  return LOCAL_RE.test(addr.slice(0, at)) && isValidDnsName(addr.slice(at + 1), false);
}

const URI_RE = /^([A-Za-z][A-Za-z0-9+.-]*):([A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+)$/;

export function isValidUri(uri: string): boolean {
  if (typeof uri !== 'string' || uri.length > 2048) return false;
  const m = URI_RE.exec(uri);
  if (!m || /%(?![0-9A-Fa-f]{2})/.test(uri)) return false;
  try {
    const u = new URL(uri);
    return !(m[2] as string).startsWith('//') || u.hostname !== '';
  } catch {
    return false;
  }
}

const V4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const V4_RE = new RegExp(`^${V4_OCTET}(?:\\.${V4_OCTET}){3}$`);

/** IPv4 dotted quad (no leading zeros) or IPv6 text (RFC 4291 §2.2, no zone) to 4 or 16 octets. */
export function ipToBytes(ip: string): Buffer {
  if (typeof ip === 'string' && V4_RE.test(ip)) return Buffer.from(ip.split('.').map(Number));
  if (typeof ip !== 'string' || !isIPv6(ip) || ip.includes('%')) throw bad('invalid IP address');
  let s = ip;
  if (s.includes('.')) {
    const cut = s.lastIndexOf(':') + 1;
    const v4 = s.slice(cut);
    if (!V4_RE.test(v4)) throw bad('invalid IP address');
    const b = Buffer.from(v4.split('.').map(Number));
    s = s.slice(0, cut) + b.readUInt16BE(0).toString(16) + ':' + b.readUInt16BE(2).toString(16);
  }
  const halves = s.split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups =
    halves.length > 1 ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  if (groups.length !== 8) throw bad('invalid IP address');
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

const SAN_KEYS = new Set(['dns', 'email', 'uri', 'ip']);

/** GeneralNames (SEQUENCE OF GeneralName): dNSName [2], rfc822Name [1], URI [6], iPAddress [7]. */
export function encodeGeneralNames(san: SanInput): Buffer {
  for (const k of Object.keys(san)) if (!SAN_KEYS.has(k)) throw bad(`unknown SAN type ${k}`);
  const out: Buffer[] = [];
  const seen = new Set<string>();
  const each = (list: unknown, kind: string, check: (v: string) => Buffer): void => {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw bad(`SAN ${kind} must be an array`);
    for (const v of list) {
      if (typeof v !== 'string' || FORBIDDEN_RE.test(v)) throw bad(`invalid SAN ${kind}`);
      const enc = check(v);
      const key = enc.toString('latin1');
      if (seen.has(key)) throw bad(`duplicate SAN ${kind} ${v}`);
      seen.add(key);
      out.push(enc);
    }
  };
  const ia5 = (tagNo: number, ok: (v: string) => boolean, kind: string) => (v: string) => {
    if (!ok(v)) throw bad(`invalid SAN ${kind}: ${v}`);
    return contextPrimitive(tagNo, Buffer.from(v, 'latin1'));
  };
  each(
    san.dns,
    'dns',
    ia5(2, (v) => isValidDnsName(v), 'dns'),
  );
  each(san.ip, 'ip', (v) => contextPrimitive(7, ipToBytes(v)));
  each(san.email, 'email', ia5(1, isValidEmail, 'email'));
  each(san.uri, 'uri', ia5(6, isValidUri, 'uri'));
  if (out.length === 0) throw bad('subjectAltName needs at least one name');
  return seq(...out);
}

// eslint-disable-next-line no-control-regex
const ESCAPE_HEX_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f]/gu;

function escapeValue(s: string): string {
  let v = s
    .replace(/[,+"\\<>;]/g, '\\$&')
    .replace(ESCAPE_HEX_RE, (c) =>
      [...Buffer.from(c, 'utf8')].map((b) => '\\' + b.toString(16).padStart(2, '0')).join(''),
    );
  if (v.startsWith(' ') || v.startsWith('#')) v = '\\' + v;
  if (s.length > 1 && s.endsWith(' ')) v = v.slice(0, -1) + '\\ ';
  return v;
}

function formatAtv(buf: Buffer, atv: Tlv): string {
  const [typeT, valueT, ...rest] = children(buf, atv, 0x30);
  if (!typeT || !valueT || rest.length) throw new AppError('ERR_DER_MALFORMED', 'malformed DER: AttributeTypeAndValue');
  const type = readOid(buf, typeT);
  const short = DN_SHORT_NAMES[type];
  const hex = '#' + rawOf(buf, valueT).toString('hex');
  if (!short) return type + '=' + hex;
  try {
    return short + '=' + escapeValue(readString(buf, valueT));
  } catch {
    return short + '=' + hex; // not a (valid) string type: show the BER encoding (RFC 4514 §2.4)
  }
}

/** A Name as an RFC 4514 string (e.g. `CN=dev-1,O=Acme,C=FR`). Whole-buffer form when `t` is omitted. */
export function formatName(buf: Buffer, t?: Tlv): string {
  const name = t ?? parseDerExact(buf);
  const rdns = children(buf, name, 0x30).map((r) => {
    const atvs = children(buf, r, 0x31);
    if (atvs.length === 0) throw new AppError('ERR_DER_MALFORMED', 'malformed DER: empty RDN');
    return atvs.map((a) => formatAtv(buf, a)).join('+');
  });
  return rdns.reverse().join(',');
}
