/**
 * RADIUS dictionary: the packet codes and attributes the bridge speaks, with their wire types.
 *
 * Rules:
 * - Packet codes: RFC 2865 §3 (1, 2, 3, 11), RFC 2866 §3 (4, 5), RFC 5997 §2 (12), RFC 5176 §2 (40-45).
 * - Value types follow RFC 8044: string/octets 1-253 octets (text is UTF-8), integer 4 octets,
 *   ipaddr 4 octets, ipv6addr 16 octets, date = 4-octet seconds since 1970 (RFC 2865 §5).
 * - Tunnel-Type / Tunnel-Medium-Type are tag + 3-octet integer (RFC 2868 §3.1, §3.2);
 *   Tunnel-Private-Group-Id is an optional tag + string (RFC 2868 §3.6).
 * - Vendor-Specific (RFC 2865 §5.26) carries Vendor-Id + (vendor-type, vendor-length, value):
 *   Microsoft 311 MS-MPPE-Send-Key 16 / Recv-Key 17 (salt-encrypted, RFC 2548 §2.4.2, §2.4.3),
 *   Cisco 9 Cisco-AVPair 1.
 * - `concat`: a value longer than 253 octets is split over consecutive attributes and the
 *   receiver concatenates them (EAP-Message RFC 3579 §3.1; Reply-Message RFC 2865 §5.18 keeps order).
 * - `encrypt`: User-Password hiding (RFC 2865 §5.2) or MPPE salt encryption (RFC 2548 §2.4.2).
 */

export const RADIUS_CODES = {
  'Access-Request': 1,
  'Access-Accept': 2,
  'Access-Reject': 3,
  'Accounting-Request': 4,
  'Accounting-Response': 5,
  'Access-Challenge': 11,
  'Status-Server': 12,
  'Disconnect-Request': 40,
  'Disconnect-ACK': 41,
  'Disconnect-NAK': 42,
  'CoA-Request': 43,
  'CoA-ACK': 44,
  'CoA-NAK': 45,
} as const;

export type RadiusCodeName = keyof typeof RADIUS_CODES;
export type RadiusCode = (typeof RADIUS_CODES)[RadiusCodeName];

const CODE_NAMES = new Map<number, RadiusCodeName>(
  Object.entries(RADIUS_CODES).map(([name, code]) => [code, name as RadiusCodeName]),
);

export function isRadiusCode(code: number): code is RadiusCode {
  return CODE_NAMES.has(code);
}

export function codeName(code: number): RadiusCodeName | undefined {
  return CODE_NAMES.get(code);
}

/** Codes whose Request Authenticator is MD5 over the packet with 16 zero octets (RFC 2866 §3, RFC 5176 §2.3). */
export const HASHED_REQUEST_CODES: ReadonlySet<number> = new Set([4, 40, 43]);
/** Codes answered with a Response Authenticator keyed on the request's authenticator (RFC 2865 §3). */
export const RESPONSE_CODES: ReadonlySet<number> = new Set([2, 3, 5, 11, 41, 42, 44, 45]);

export type ValueType =
  'string' | 'octets' | 'integer' | 'ipaddr' | 'ipv6addr' | 'date' | 'tagged-integer' | 'tagged-string' | 'vsa';

export interface AttributeDef {
  readonly name: string;
  readonly type: number;
  readonly vendorId?: number;
  readonly vendorType?: number;
  readonly valueType: ValueType;
  readonly encrypt?: 'user-password' | 'mppe-salt';
  readonly concat?: boolean;
  readonly values?: Readonly<Record<string, number>>;
}

export const VENDOR_CISCO = 9;
export const VENDOR_MICROSOFT = 311;
export const TYPE_VENDOR_SPECIFIC = 26;
export const TYPE_EAP_MESSAGE = 79;
export const TYPE_MESSAGE_AUTHENTICATOR = 80;

const ERROR_CAUSES = {
  'Residual-Session-Context-Removed': 201,
  'Invalid-EAP-Packet': 202,
  'Unsupported-Attribute': 401,
  'Missing-Attribute': 402,
  'NAS-Identification-Mismatch': 403,
  'Invalid-Request': 404,
  'Unsupported-Service': 405,
  'Unsupported-Extension': 406,
  'Invalid-Attribute-Value': 407,
  'Administratively-Prohibited': 501,
  'Request-Not-Routable': 502,
  'Session-Context-Not-Found': 503,
  'Session-Context-Not-Removable': 504,
  'Other-Proxy-Processing-Error': 505,
  'Resources-Unavailable': 506,
  'Request-Initiated': 507,
  'Multiple-Session-Selection-Unsupported': 508,
} as const;

const DEFS = [
  { name: 'User-Name', type: 1, valueType: 'string' },
  { name: 'User-Password', type: 2, valueType: 'octets', encrypt: 'user-password' },
  { name: 'CHAP-Password', type: 3, valueType: 'octets' },
  { name: 'NAS-IP-Address', type: 4, valueType: 'ipaddr' },
  { name: 'NAS-Port', type: 5, valueType: 'integer' },
  {
    name: 'Service-Type',
    type: 6,
    valueType: 'integer',
    values: { Login: 1, Framed: 2, 'Call-Check': 10, 'Authorize-Only': 17 },
  },
  { name: 'Framed-IP-Address', type: 8, valueType: 'ipaddr' },
  { name: 'Framed-MTU', type: 12, valueType: 'integer' },
  { name: 'Reply-Message', type: 18, valueType: 'string', concat: true },
  { name: 'State', type: 24, valueType: 'octets' },
  { name: 'Class', type: 25, valueType: 'octets' },
  { name: 'Vendor-Specific', type: 26, valueType: 'vsa' },
  { name: 'Session-Timeout', type: 27, valueType: 'integer' },
  { name: 'Termination-Action', type: 29, valueType: 'integer', values: { Default: 0, 'RADIUS-Request': 1 } },
  { name: 'Called-Station-Id', type: 30, valueType: 'string' },
  { name: 'Calling-Station-Id', type: 31, valueType: 'string' },
  { name: 'NAS-Identifier', type: 32, valueType: 'string' },
  { name: 'Proxy-State', type: 33, valueType: 'octets' },
  {
    name: 'Acct-Status-Type',
    type: 40,
    valueType: 'integer',
    values: { Start: 1, Stop: 2, 'Interim-Update': 3, 'Accounting-On': 7, 'Accounting-Off': 8 },
  },
  { name: 'Acct-Delay-Time', type: 41, valueType: 'integer' },
  { name: 'Acct-Input-Octets', type: 42, valueType: 'integer' },
  { name: 'Acct-Output-Octets', type: 43, valueType: 'integer' },
  { name: 'Acct-Session-Id', type: 44, valueType: 'string' },
  { name: 'Acct-Authentic', type: 45, valueType: 'integer', values: { RADIUS: 1, Local: 2, Remote: 3 } },
  { name: 'Acct-Session-Time', type: 46, valueType: 'integer' },
  { name: 'Acct-Input-Packets', type: 47, valueType: 'integer' },
  { name: 'Acct-Output-Packets', type: 48, valueType: 'integer' },
  { name: 'Acct-Terminate-Cause', type: 49, valueType: 'integer' },
  { name: 'Acct-Multi-Session-Id', type: 50, valueType: 'string' },
  { name: 'Acct-Input-Gigawords', type: 52, valueType: 'integer' },
  { name: 'Acct-Output-Gigawords', type: 53, valueType: 'integer' },
  { name: 'Event-Timestamp', type: 55, valueType: 'date' },
  {
    name: 'NAS-Port-Type',
    type: 61,
    valueType: 'integer',
    values: { Virtual: 5, Ethernet: 15, 'Wireless-802.11': 19 },
  },
  { name: 'Tunnel-Type', type: 64, valueType: 'tagged-integer', values: { VLAN: 13 } },
  { name: 'Tunnel-Medium-Type', type: 65, valueType: 'tagged-integer', values: { 'IEEE-802': 6 } },
  { name: 'Connect-Info', type: 77, valueType: 'string' },
  { name: 'EAP-Message', type: TYPE_EAP_MESSAGE, valueType: 'octets', concat: true },
  { name: 'Message-Authenticator', type: TYPE_MESSAGE_AUTHENTICATOR, valueType: 'octets' },
  { name: 'Tunnel-Private-Group-Id', type: 81, valueType: 'tagged-string' },
  { name: 'Acct-Interim-Interval', type: 85, valueType: 'integer' },
  { name: 'NAS-Port-Id', type: 87, valueType: 'string' },
  { name: 'NAS-IPv6-Address', type: 95, valueType: 'ipv6addr' },
  { name: 'Error-Cause', type: 101, valueType: 'integer', values: ERROR_CAUSES },
  {
    name: 'MS-MPPE-Send-Key',
    type: 26,
    vendorId: VENDOR_MICROSOFT,
    vendorType: 16,
    valueType: 'octets',
    encrypt: 'mppe-salt',
  },
  {
    name: 'MS-MPPE-Recv-Key',
    type: 26,
    vendorId: VENDOR_MICROSOFT,
    vendorType: 17,
    valueType: 'octets',
    encrypt: 'mppe-salt',
  },
  { name: 'Cisco-AVPair', type: 26, vendorId: VENDOR_CISCO, vendorType: 1, valueType: 'string' },
] as const satisfies readonly AttributeDef[];

export type AttributeName = (typeof DEFS)[number]['name'];

const BY_NAME = new Map<string, AttributeDef>(DEFS.map((d) => [d.name, d]));
const key = (type: number, vendorId?: number, vendorType?: number) =>
  vendorId === undefined ? `${type}` : `${type}/${vendorId}/${vendorType ?? ''}`;
const BY_KEY = new Map<string, AttributeDef>(DEFS.map((d: AttributeDef) => [key(d.type, d.vendorId, d.vendorType), d]));

/** Vendors whose Vendor-Specific payload MUST follow the RFC 2865 §5.26 sub-attribute format. */
export const KNOWN_VENDORS: ReadonlySet<number> = new Set([VENDOR_CISCO, VENDOR_MICROSOFT]);

export function attributeByName(name: string): AttributeDef | undefined {
  return BY_NAME.get(name);
}

export function attributeByType(type: number, vendorId?: number, vendorType?: number): AttributeDef | undefined {
  return BY_KEY.get(key(type, vendorId, vendorType));
}
