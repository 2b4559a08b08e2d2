/**
 * Owned RADIUS codec (replaces the npm `radius` package; its defects are pinned by regression tests
 * in test/unit/radius-bridge/codec/radius-package-defects.test.ts).
 *
 * Rules (details and RFC sections in each file):
 * - decode.ts: strict datagram parser, raw attributes in order, typed getters (RFC 2865 §3, §5).
 * - encode.ts: Message-Authenticator first and signed before the MD5 authenticator
 *   (RFC 3579 §3.2, RFC 5176 §3.4); EAP-Message split at 253 octets (RFC 3579 §3.1).
 * - attributes.ts: tag octets per RFC 2868 §3, Vendor-Specific per RFC 2865 §5.26.
 * - verify.ts: constant-time checks of every authenticator; Message-Authenticator required per NAS
 *   (BlastRADIUS) and for Status-Server (RFC 5997 §3).
 * - password.ts: User-Password hiding (RFC 2865 §5.2); mppe.ts: MS-MPPE key salting (RFC 2548 §2.4.2).
 * Only this file is imported from outside the folder.
 */
export {
  RADIUS_CODES,
  VENDOR_CISCO,
  VENDOR_MICROSOFT,
  attributeByName,
  attributeByType,
  codeName,
  isRadiusCode,
  type AttributeDef,
  type AttributeName,
  type RadiusCode,
  type RadiusCodeName,
  type ValueType,
} from './dictionary.ts';
export type { RadiusAttribute } from './attributes.ts';
export type { AttributeValue } from './values.ts';
export { decodePacket, DecodedPacket, MAX_PACKET, MIN_PACKET } from './decode.ts';
export { encodePacket, type AttributeInput, type EncodeOptions, type PacketInput } from './encode.ts';
export { verifyRequest, verifyResponse, type VerifyRequestOptions, type VerifyResponseOptions } from './verify.ts';
export { hideUserPassword, revealUserPassword, type Secret } from './password.ts';
export { decryptMppeKey, encryptMppeKey, SaltSource } from './mppe.ts';
