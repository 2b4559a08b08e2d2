/**
 * Strict RADIUS datagram decoder: bytes -> code, identifier, authenticator, raw attributes in order.
 *
 * Rules:
 * - Header (RFC 2865 §3): Code, Identifier, Length, 16-octet Authenticator. Length is 20..4096 and
 *   no more than the datagram; octets past Length are padding and ignored; a datagram shorter than
 *   Length is malformed. Unknown codes are malformed (RFC 2865 §3: silently discarded).
 * - Attributes (RFC 2865 §5): every Length >= 2 and inside the packet, walked to exactly Length.
 * - Known fixed-size types must have their size (integer/date/ipaddr 4, ipv6addr 16, tagged integer
 *   4 with the tag); Message-Authenticator is exactly 16 octets (RFC 3579 §3.2).
 * - Tagged attributes (RFC 2868 §3): Tunnel-Type/Medium-Type always start with the tag; for
 *   Tunnel-Private-Group-Id a first octet <= 0x1F is the tag, anything else is data (tag 0).
 * - Vendor-Specific (RFC 2865 §5.26): Length >= 7, Vendor-Id high octet 0; sub-attributes in the
 *   recommended format are returned one by one. Known vendors (Cisco, Microsoft) must use that
 *   format; other vendors' payloads that do not parse are kept whole (no vendorType).
 * - Values are copied and left raw (User-Password hidden, MPPE keys salted) so authenticators and
 *   Message-Authenticator can be checked on exact octets and EAP-Message concatenated.
 * - Every failure is AppError ERR_RADIUS_MALFORMED; nothing else escapes.
 */
import { AppError } from '../../platform/errors.ts';
import {
  attributeByName,
  attributeByType,
  codeName,
  isRadiusCode,
  KNOWN_VENDORS,
  TYPE_MESSAGE_AUTHENTICATOR,
  TYPE_VENDOR_SPECIFIC,
  type AttributeDef,
  type AttributeName,
  type RadiusCode,
  type RadiusCodeName,
} from './dictionary.ts';
import type { RadiusAttribute } from './attributes.ts';
import { bytesToAddress, bytesToUint, FIXED_LENGTH } from './values.ts';

export const MIN_PACKET = 20;
export const MAX_PACKET = 4096;
const MAX_TAG = 0x1f;

const malformed = (why: string) => new AppError('ERR_RADIUS_MALFORMED', `malformed RADIUS packet: ${why}`);

function checkSize(def: AttributeDef | undefined, type: number, value: Buffer): void {
  const fixed = type === TYPE_MESSAGE_AUTHENTICATOR ? 16 : def && FIXED_LENGTH[def.valueType];
  if (fixed !== undefined && value.length !== fixed) throw malformed(`attribute ${type} must be ${fixed} octets`);
}

function vendorSubAttributes(vendorId: number, data: Buffer): RadiusAttribute[] | null {
  const out: RadiusAttribute[] = [];
  for (let off = 0; off < data.length;) {
    const vendorType = data[off];
    const len = data[off + 1];
    if (vendorType === undefined || len === undefined || len < 3 || off + len > data.length) return null;
    const value = data.subarray(off + 2, off + len);
    checkSize(attributeByType(TYPE_VENDOR_SPECIFIC, vendorId, vendorType), TYPE_VENDOR_SPECIFIC, value);
    out.push({ type: TYPE_VENDOR_SPECIFIC, vendorId, vendorType, value });
    off += len;
  }
  return out;
}

/** Appends the attribute(s) of one TLV to `out` (several for a Vendor-Specific with sub-attributes). */
function decodeAttribute(type: number, value: Buffer, out: RadiusAttribute[]): void {
  if (type === TYPE_VENDOR_SPECIFIC) {
    if (value.length < 5) throw malformed('Vendor-Specific shorter than 7 octets');
    if (value[0] !== 0) throw malformed('Vendor-Id high octet is not 0');
    const vendorId = value.readUInt32BE(0);
    const subs = vendorSubAttributes(vendorId, value.subarray(4));
    if (subs) {
      for (const a of subs) out.push(a);
      return;
    }
    if (KNOWN_VENDORS.has(vendorId)) throw malformed(`vendor ${vendorId} attribute format`);
    out.push({ type, vendorId, value: value.subarray(4) });
    return;
  }
  const def = attributeByType(type);
  checkSize(def, type, value);
  if (def?.valueType === 'tagged-integer') out.push({ type, tag: value[0] ?? 0, value: value.subarray(1) });
  else if (def?.valueType === 'tagged-string') {
    const first = value[0];
    if (first !== undefined && first <= MAX_TAG) out.push({ type, tag: first, value: value.subarray(1) });
    else out.push({ type, tag: 0, value });
  } else out.push({ type, value });
}

/** Decodes one datagram; throws AppError ERR_RADIUS_MALFORMED on anything that is not a valid packet. */
export function decodePacket(datagram: Uint8Array): DecodedPacket {
  if (!(datagram instanceof Uint8Array)) throw malformed('not a byte buffer');
  const buf = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (buf.length < MIN_PACKET) throw malformed('shorter than 20 octets');
  const code = buf[0] ?? 0;
  if (!isRadiusCode(code)) throw malformed(`unknown code ${code}`);
  const length = buf.readUInt16BE(2);
  if (length < MIN_PACKET || length > MAX_PACKET) throw malformed(`Length ${length} outside 20..4096`);
  if (length > buf.length) throw malformed('datagram shorter than its Length');
  const packet = Buffer.from(buf.subarray(0, length));
  const attributes: RadiusAttribute[] = [];
  for (let off = MIN_PACKET; off < length;) {
    const type = packet[off];
    const len = packet[off + 1];
    if (type === undefined || len === undefined) throw malformed('truncated attribute header');
    if (len < 2 || off + len > length) throw malformed(`attribute ${type} length ${len} out of bounds`);
    decodeAttribute(type, packet.subarray(off + 2, off + len), attributes);
    off += len;
  }
  return new DecodedPacket(code, packet[1] ?? 0, packet.subarray(4, 20), attributes, length);
}

const matches = (def: AttributeDef, a: RadiusAttribute) =>
  a.type === def.type && a.vendorId === def.vendorId && a.vendorType === def.vendorType;

/** A decoded packet: raw attributes in wire order plus typed getters by dictionary name. */
export class DecodedPacket {
  constructor(
    readonly code: RadiusCode,
    readonly identifier: number,
    readonly authenticator: Buffer,
    readonly attributes: readonly RadiusAttribute[],
    /** The header Length: octets of the datagram that belong to the packet. */
    readonly length: number,
  ) {}

  get codeName(): RadiusCodeName {
    return codeName(this.code) as RadiusCodeName;
  }

  /** Every attribute with this name, in order (tag included for Tunnel-*). */
  findAll(name: AttributeName): RadiusAttribute[] {
    const def = attributeByName(name);
    if (!def) throw new AppError('ERR_BAD_INPUT', `unknown attribute ${name}`);
    return this.attributes.filter((a) => matches(def, a));
  }

  find(name: AttributeName): RadiusAttribute | undefined {
    const def = attributeByName(name);
    if (!def) throw new AppError('ERR_BAD_INPUT', `unknown attribute ${name}`);
    for (const a of this.attributes) if (matches(def, a)) return a;
    return undefined;
  }

  has(name: AttributeName): boolean {
    return this.find(name) !== undefined;
  }

  /** First value, raw (still hidden/salted for User-Password and MS-MPPE-*). */
  get(name: AttributeName): Buffer | undefined {
    return this.find(name)?.value;
  }

  getAll(name: AttributeName): Buffer[] {
    return this.findAll(name).map((a) => a.value);
  }

  /** All values joined in wire order: EAP-Message reassembly (RFC 3579 §3.1). */
  getConcatenated(name: AttributeName): Buffer | undefined {
    const all = this.getAll(name);
    return all.length === 0 ? undefined : Buffer.concat(all);
  }

  getString(name: AttributeName): string | undefined {
    return this.get(name)?.toString('utf8');
  }

  getInt(name: AttributeName): number | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : bytesToUint(v);
  }

  getAddress(name: AttributeName): string | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : bytesToAddress(v);
  }
}
