/**
 * One attribute (final value octets) -> its wire TLVs: tag octet, Vendor-Specific wrapping, splitting.
 *
 * Rules:
 * - Type-Length-Value with Length = 2 + value, at most 255 on the wire, so a value holds at most
 *   253 octets (RFC 2865 §5). Values are 1 or more octets (RFC 2865 §5, RFC 6929 §2.1).
 * - Longer values are split into consecutive attributes of the same type only where the receiver
 *   concatenates them: EAP-Message (RFC 3579 §3.1) and Reply-Message (RFC 2865 §5.18). Any other
 *   oversized value is a caller error, never truncated.
 * - The tag octet belongs to the tagged attribute alone (RFC 2868 §3): nothing is ever carried over
 *   to the next attribute (the npm `radius` package wrote a stray tag octet into following Buffers).
 * - Tunnel-Type / Tunnel-Medium-Type: tag (0x00-0x1F) + 3-octet value, always (RFC 2868 §3.1, §3.2).
 * - Tunnel-Private-Group-Id (RFC 2868 §3.6): a receiver reads a first octet <= 0x1F as the tag and
 *   anything greater as the first octet of the string. So the tag octet is written when tag != 0,
 *   and for tag 0 only when the value is empty or starts with an octet <= 0x1F.
 * - Vendor-Specific (RFC 2865 §5.26): Type 26, Length, Vendor-Id (4 octets, high octet 0), then
 *   vendor-type, vendor-length (2 + value), value; so a vendor value holds at most 247 octets.
 */
import { AppError } from '../../platform/errors.ts';
import { attributeByType, TYPE_MESSAGE_AUTHENTICATOR, TYPE_VENDOR_SPECIFIC } from './dictionary.ts';
import { FIXED_LENGTH } from './values.ts';

/** An attribute as it is on the wire: tag split off, value still encrypted where it is. */
export interface RadiusAttribute {
  type: number;
  vendorId?: number;
  vendorType?: number;
  tag?: number;
  value: Buffer;
}

export const MAX_VALUE = 253;
const MAX_VENDOR_VALUE = MAX_VALUE - 4 - 2;
const MAX_TAG = 0x1f;

const bad = (why: string) => new AppError('ERR_BAD_INPUT', why);

/** Type, Length, Value in one allocation (the per-reply hot path: no header Buffer, no concat). */
function tlv(type: number, value: Buffer): Buffer {
  const out = Buffer.allocUnsafe(value.length + 2);
  out[0] = type;
  out[1] = value.length + 2;
  value.copy(out, 2);
  return out;
}

/** `tag` octet followed by `value`, in one allocation. */
function withTag(tag: number, value: Buffer): Buffer {
  const out = Buffer.allocUnsafe(value.length + 1);
  out[0] = tag;
  value.copy(out, 1);
  return out;
}

function checkOctet(n: number | undefined, what: string, min = 0): number {
  if (n === undefined || !Number.isInteger(n) || n < min || n > 255) throw bad(`${what} must be ${min}..255`);
  return n;
}

function vendorSpecific(attr: RadiusAttribute): Buffer {
  const vendorId = attr.vendorId ?? -1;
  if (!Number.isInteger(vendorId) || vendorId < 0 || vendorId > 0xffffff) throw bad('Vendor-Id must be 0..2^24-1');
  if (attr.tag) throw bad('vendor attributes carry no tag');
  const id = Buffer.alloc(4);
  id.writeUInt32BE(vendorId);
  if (attr.vendorType === undefined) {
    if (attr.value.length < 1 || attr.value.length > MAX_VALUE - 4)
      throw bad('Vendor-Specific data must be 1..249 octets');
    return tlv(TYPE_VENDOR_SPECIFIC, Buffer.concat([id, attr.value]));
  }
  const vendorType = checkOctet(attr.vendorType, 'vendor type');
  if (attr.value.length < 1 || attr.value.length > MAX_VENDOR_VALUE) {
    throw bad(`vendor ${vendorId} attribute ${vendorType} must be 1..${MAX_VENDOR_VALUE} octets`);
  }
  return tlv(TYPE_VENDOR_SPECIFIC, Buffer.concat([id, tlv(vendorType, attr.value)]));
}

function taggedValue(attr: RadiusAttribute, kind: 'tagged-integer' | 'tagged-string'): Buffer {
  const tag = attr.tag ?? 0;
  if (!Number.isInteger(tag) || tag < 0 || tag > MAX_TAG) throw bad('tag must be 0..31 (RFC 2868 §3)');
  if (kind === 'tagged-integer') {
    if (attr.value.length !== 3) throw bad('tagged integer value must be 3 octets (RFC 2868 §3.1)');
    return withTag(tag, attr.value);
  }
  const first = attr.value[0];
  const needsTagOctet = tag !== 0 || first === undefined || first <= MAX_TAG;
  return needsTagOctet ? withTag(tag, attr.value) : attr.value;
}

/** Wire TLVs for one attribute; more than one only for a split EAP-Message / Reply-Message. */
export function encodeAttribute(attr: RadiusAttribute): Buffer[] {
  const type = checkOctet(attr.type, 'attribute type', 1);
  if (type === TYPE_VENDOR_SPECIFIC) {
    if (attr.vendorId === undefined) throw bad('Vendor-Specific (26) needs a vendorId');
    return [vendorSpecific(attr)];
  }
  if (attr.vendorId !== undefined || attr.vendorType !== undefined) {
    throw bad('vendorId/vendorType only go with Vendor-Specific (26)');
  }
  const def = attributeByType(type);
  let value = attr.value;
  if (def?.valueType === 'tagged-integer' || def?.valueType === 'tagged-string') {
    value = taggedValue(attr, def.valueType);
  } else if (attr.tag) {
    throw bad(`attribute ${type} carries no tag`);
  }
  const fixed = type === TYPE_MESSAGE_AUTHENTICATOR ? 16 : def && FIXED_LENGTH[def.valueType];
  if (fixed !== undefined && value.length !== fixed) throw bad(`${def?.name ?? type} must be ${fixed} octets`);
  if (value.length === 0) throw bad(`${def?.name ?? type} must not be empty (RFC 2865 §5)`);
  if (value.length <= MAX_VALUE) return [tlv(type, value)];
  if (!def?.concat) throw bad(`${def?.name ?? type} is longer than ${MAX_VALUE} octets and cannot be split`);
  const out: Buffer[] = [];
  for (let off = 0; off < value.length; off += MAX_VALUE) out.push(tlv(type, value.subarray(off, off + MAX_VALUE)));
  return out;
}
