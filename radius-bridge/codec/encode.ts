/**
 * RADIUS packet encoder: code + identifier + attributes + secret -> signed datagram.
 *
 * Rules:
 * - Message-Authenticator is the FIRST attribute whenever present, and always present in
 *   Access-Request, Access-Accept/Reject/Challenge (RFC 3579 §3.2; BlastRADIUS, CVE-2024-3596) and
 *   Status-Server (RFC 5997 §3). Elsewhere it is added when asked (option, or listed as an input;
 *   the listed value and position are ignored).
 * - Signing order (RFC 5176 §3.4, RFC 3579 §3.2): HMAC-MD5 Message-Authenticator first, over the
 *   packet with the authenticator field = Request Authenticator (Access-Request, Status-Server and
 *   responses) or 16 zero octets (Accounting-, CoA-, Disconnect-Request; Accounting-Response unless
 *   it answers Status-Server, see authenticator.ts); then the MD5 Response / Request Authenticator
 *   over the packet that now contains it (RFC 2865 §3, RFC 2866 §3).
 * - Access-Request / Status-Server Request Authenticator: given, else 16 random octets (RFC 2865 §3).
 * - Responses need the Request Authenticator of the request they answer.
 * - User-Password is hidden (RFC 2865 §5.2) and only in Access-Request; MS-MPPE-Send/Recv-Key are
 *   salt-encrypted with distinct salts (RFC 2548 §2.4.2) and only in responses. Raw attributes
 *   (decoded form) are written as given: their values are already on-the-wire octets.
 * - Attribute order is kept (Proxy-State order matters, RFC 2865 §5.33); long EAP-Message values are
 *   split (attributes.ts). Packet Length is at most 4096 (RFC 2865 §3), else ERR_TOO_LARGE.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import {
  attributeByName,
  HASHED_REQUEST_CODES,
  isRadiusCode,
  RADIUS_CODES,
  RESPONSE_CODES,
  TYPE_MESSAGE_AUTHENTICATOR,
  TYPE_VENDOR_SPECIFIC,
  type AttributeName,
  type RadiusCode,
  type RadiusCodeName,
} from './dictionary.ts';
import { encodeAttribute, type RadiusAttribute } from './attributes.ts';
import {
  AUTH_LENGTH,
  AUTH_OFFSET,
  HEADER_LENGTH,
  hmacAuthenticatorField,
  packetDigest,
  signMessageAuthenticator,
  ZERO_AUTHENTICATOR,
} from './authenticator.ts';
import { encryptMppeKey, SaltSource } from './mppe.ts';
import { hideUserPassword, secretBytes, type Secret } from './password.ts';
import { valueToBytes, type AttributeValue } from './values.ts';
import { MAX_PACKET } from './decode.ts';

/** By dictionary name with a typed value, or raw (decoded form, value already wire octets). */
export type AttributeInput = { name: AttributeName; value: AttributeValue; tag?: number } | RadiusAttribute;

export interface PacketInput {
  code: RadiusCode | RadiusCodeName;
  identifier: number;
  /** Access-Request / Status-Server: the Request Authenticator to use (random when omitted). */
  authenticator?: Buffer;
  attributes: readonly AttributeInput[];
}

export interface EncodeOptions {
  /** Responses: the Request Authenticator of the request being answered (required). */
  requestAuthenticator?: Buffer;
  /** Add Message-Authenticator to codes that do not always carry it (Accounting, CoA, Disconnect). */
  messageAuthenticator?: boolean;
  /** Code of the request answered; an Accounting-Response to Status-Server signs differently. */
  requestCode?: RadiusCode | RadiusCodeName;
}

const ALWAYS_MESSAGE_AUTHENTICATOR: ReadonlySet<number> = new Set([1, 2, 3, 11, 12]);
const MA_OFFSET = HEADER_LENGTH + 2;

const bad = (why: string) => new AppError('ERR_BAD_INPUT', why);

const isMessageAuthenticator = (a: AttributeInput) =>
  'name' in a ? a.name === 'Message-Authenticator' : a.type === TYPE_MESSAGE_AUTHENTICATOR && a.vendorId === undefined;

function authenticatorFor(code: RadiusCode, input: PacketInput, opts: EncodeOptions): Buffer {
  const given = RESPONSE_CODES.has(code) ? opts.requestAuthenticator : input.authenticator;
  if (HASHED_REQUEST_CODES.has(code)) return ZERO_AUTHENTICATOR;
  if (given === undefined && RESPONSE_CODES.has(code)) throw bad('a response needs the Request Authenticator');
  if (given === undefined) return randomBytes(AUTH_LENGTH);
  if (!Buffer.isBuffer(given) || given.length !== AUTH_LENGTH) throw bad('authenticator must be 16 octets');
  return given;
}

/** Distinct MPPE salts within one packet; the SaltSource is only made when a key is encrypted. */
interface Salts {
  source?: SaltSource;
}

function toWire(a: AttributeInput, code: RadiusCode, secret: Buffer, auth: Buffer, salts: Salts): RadiusAttribute {
  if (!('name' in a)) return a;
  const def = attributeByName(a.name);
  if (!def) throw bad(`unknown attribute ${String(a.name)}`);
  let value = valueToBytes(def, a.value);
  if (def.encrypt === 'user-password') {
    if (code !== RADIUS_CODES['Access-Request']) throw bad('User-Password only goes in Access-Request');
    value = hideUserPassword(value, secret, auth);
  } else if (def.encrypt === 'mppe-salt') {
    if (!RESPONSE_CODES.has(code)) throw bad(`${def.name} only goes in a response`);
    value = encryptMppeKey(value, secret, auth, (salts.source ??= new SaltSource()).next());
  }
  if (def.valueType === 'vsa') {
    if (value.length < 5 || value[0] !== 0) throw bad('Vendor-Specific value is Vendor-Id (high octet 0) + data');
    return { type: TYPE_VENDOR_SPECIFIC, vendorId: value.readUInt32BE(0), value: value.subarray(4) };
  }
  return { type: def.type, vendorId: def.vendorId, vendorType: def.vendorType, tag: a.tag, value };
}

/** Encodes and signs one packet; see the rules above for which authenticators are written. */
export function encodePacket(input: PacketInput, secret: Secret, opts: EncodeOptions = {}): Buffer {
  const code = typeof input.code === 'string' ? RADIUS_CODES[input.code] : input.code;
  if (!isRadiusCode(code)) throw bad(`unknown RADIUS code ${String(input.code)}`);
  const id = input.identifier;
  if (!Number.isInteger(id) || id < 0 || id > 255) throw bad('identifier must be 0..255');
  const key = secretBytes(secret);
  const auth = authenticatorFor(code, input, opts);
  const salts: Salts = {};

  const withMa =
    ALWAYS_MESSAGE_AUTHENTICATOR.has(code) ||
    opts.messageAuthenticator === true ||
    input.attributes.some(isMessageAuthenticator);
  const tlvs: Buffer[] = [Buffer.alloc(HEADER_LENGTH)];
  if (withMa) tlvs.push(Buffer.from([TYPE_MESSAGE_AUTHENTICATOR, 2 + AUTH_LENGTH]), ZERO_AUTHENTICATOR);
  for (const a of input.attributes) {
    if (!isMessageAuthenticator(a)) tlvs.push(...encodeAttribute(toWire(a, code, key, auth, salts)));
  }
  const packet = Buffer.concat(tlvs);
  if (packet.length > MAX_PACKET)
    throw new AppError('ERR_TOO_LARGE', `RADIUS packet of ${packet.length} octets > 4096`);
  packet[0] = code;
  packet[1] = id;
  packet.writeUInt16BE(packet.length, 2);

  if (withMa) {
    const requestCode = typeof opts.requestCode === 'string' ? RADIUS_CODES[opts.requestCode] : opts.requestCode;
    signMessageAuthenticator(packet, hmacAuthenticatorField(code, auth, requestCode), MA_OFFSET, key);
  }
  const final = HASHED_REQUEST_CODES.has(code)
    ? packetDigest(packet, ZERO_AUTHENTICATOR, key)
    : RESPONSE_CODES.has(code)
      ? packetDigest(packet, auth, key)
      : auth;
  final.copy(packet, AUTH_OFFSET);
  return packet;
}
