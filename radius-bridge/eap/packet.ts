/**
 * EAP packet codec (RFC 3748 §4) and EAP-TLS type data (RFC 5216 §3.1).
 *
 * Rules enforced on parse (anything else -> AppError('ERR_EAP_MALFORMED')):
 * - Header: Code(1) Identifier(1) Length(2); Length >= 4 and never beyond the received octets
 *   (RFC 3748 §4.1: a longer Length MUST be discarded). Octets after Length are link-layer padding
 *   per §4.1; RADIUS EAP-Message carries the exact packet (RFC 3579 §3.1), so trailing octets are
 *   rejected unless `allowTrailing` is set.
 * - Code is 1..4 (§4: unknown codes are discarded). Success/Failure carry no data: Length == 4 (§4.2).
 * - Request/Response carry a Type octet (Length >= 5, §4.1). Nak (3) is Response-only with at least
 *   one desired type (§5.3.1). Expanded type 254 needs Vendor-Id + Vendor-Type (§5.7).
 * - EAP-TLS (13) type data: a Flags octet L M S R R R R R (RFC 5216 §3.1); with L a 4-octet TLS
 *   Message Length follows, which can never be smaller than this fragment's data. S (Start) carries
 *   no data, no L and no M (RFC 5216 §3.1). Reserved bits are ignored on receipt and sent as zero.
 * Builders validate their input and throw AppError('ERR_BAD_INPUT') on misuse (our bug, not peer input).
 */
import { AppError } from '../../platform/errors.ts';

export const EAP_CODE = { request: 1, response: 2, success: 3, failure: 4 } as const;
export const EAP_TYPE = { identity: 1, notification: 2, nak: 3, tls: 13, expanded: 254 } as const;
export const EAP_TLS_FLAG = { length: 0x80, more: 0x40, start: 0x20 } as const;

export const EAP_HEADER_LEN = 4;
export const EAP_MAX_LEN = 0xffff;

export type EapRequestResponseCode = typeof EAP_CODE.request | typeof EAP_CODE.response;
export type EapResultCode = typeof EAP_CODE.success | typeof EAP_CODE.failure;

/** A parsed EAP packet. `typeData` is everything after the Type octet. */
export type EapPacket =
  { code: EapResultCode; id: number } | { code: EapRequestResponseCode; id: number; type: number; typeData: Buffer };

/** EAP-TLS type data (RFC 5216 §3.1). `tlsMessageLength` is present iff the L flag is set. */
export interface EapTlsData {
  start: boolean;
  more: boolean;
  tlsMessageLength: number | undefined;
  data: Buffer;
}

export interface ParseEapOptions {
  /** Accept (and ignore) octets after Length, as RFC 3748 §4.1 allows on padded link layers. */
  allowTrailing?: boolean;
}

function malformed(message: string): AppError {
  return new AppError('ERR_EAP_MALFORMED', message);
}

export function parseEap(buf: Buffer, opts: ParseEapOptions = {}): EapPacket {
  if (!Buffer.isBuffer(buf) || buf.length < EAP_HEADER_LEN) throw malformed('EAP packet shorter than its header');
  const code = buf[0]!;
  const id = buf[1]!;
  const length = buf.readUInt16BE(2);
  if (length < EAP_HEADER_LEN) throw malformed('EAP Length smaller than the header');
  if (length > buf.length) throw malformed('EAP Length beyond the received octets');
  if (length < buf.length && !opts.allowTrailing) throw malformed('octets after the EAP Length');
  if (code === EAP_CODE.success || code === EAP_CODE.failure) {
    if (length !== EAP_HEADER_LEN) throw malformed('EAP Success/Failure with data');
    return { code, id };
  }
  if (code !== EAP_CODE.request && code !== EAP_CODE.response) throw malformed('unknown EAP Code');
  if (length < EAP_HEADER_LEN + 1) throw malformed('EAP Request/Response without a Type');
  const type = buf[4]!;
  const typeData = Buffer.from(buf.subarray(5, length));
  if (type === EAP_TYPE.nak && (code !== EAP_CODE.response || typeData.length < 1)) {
    throw malformed('invalid EAP Nak');
  }
  if (type === EAP_TYPE.expanded && typeData.length < 7) throw malformed('truncated expanded EAP type');
  return { code, id, type, typeData };
}

export function parseEapTls(typeData: Buffer): EapTlsData {
  if (typeData.length < 1) throw malformed('EAP-TLS without Flags');
  const flags = typeData[0]!;
  const start = (flags & EAP_TLS_FLAG.start) !== 0;
  const more = (flags & EAP_TLS_FLAG.more) !== 0;
  let offset = 1;
  let tlsMessageLength: number | undefined;
  if (flags & EAP_TLS_FLAG.length) {
    if (typeData.length < 5) throw malformed('EAP-TLS L flag without TLS Message Length');
    tlsMessageLength = typeData.readUInt32BE(1);
    offset = 5;
  }
  const data = typeData.subarray(offset);
  if (tlsMessageLength !== undefined && tlsMessageLength < data.length) {
    throw malformed('EAP-TLS fragment longer than its TLS Message Length');
  }
  if (start && (data.length > 0 || more || tlsMessageLength !== undefined)) {
    throw malformed('EAP-TLS Start with data, L or M');
  }
  return { start, more, tlsMessageLength, data };
}

/** True for an EAP-TLS acknowledgement: no data, no M, no S (RFC 5216 §3.1, §2.1.5). */
export function isEapTlsAck(t: EapTlsData): boolean {
  return t.data.length === 0 && !t.more && !t.start;
}

function badInput(message: string): AppError {
  return new AppError('ERR_BAD_INPUT', message);
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 255) throw badInput('EAP Identifier out of range');
}

export function buildEap(p: EapPacket): Buffer {
  checkId(p.id);
  if (p.code === EAP_CODE.success || p.code === EAP_CODE.failure) {
    return Buffer.from([p.code, p.id, 0, EAP_HEADER_LEN]);
  }
  if (p.code !== EAP_CODE.request && p.code !== EAP_CODE.response) throw badInput('unknown EAP Code');
  if (!Number.isInteger(p.type) || p.type < 1 || p.type > 255) throw badInput('EAP Type out of range');
  const length = EAP_HEADER_LEN + 1 + p.typeData.length;
  if (length > EAP_MAX_LEN) throw badInput('EAP packet too long');
  const out = Buffer.alloc(length);
  out[0] = p.code;
  out[1] = p.id;
  out.writeUInt16BE(length, 2);
  out[4] = p.type;
  p.typeData.copy(out, 5);
  return out;
}

export function encodeEapTls(t: EapTlsData): Buffer {
  if (t.start && (t.data.length > 0 || t.more || t.tlsMessageLength !== undefined)) {
    throw badInput('EAP-TLS Start carries nothing');
  }
  let flags = 0;
  if (t.start) flags |= EAP_TLS_FLAG.start;
  if (t.more) flags |= EAP_TLS_FLAG.more;
  if (t.tlsMessageLength === undefined) return Buffer.concat([Buffer.from([flags]), t.data]);
  const len = t.tlsMessageLength;
  if (!Number.isInteger(len) || len < t.data.length || len > 0xffffffff) throw badInput('bad TLS Message Length');
  const head = Buffer.alloc(5);
  head[0] = flags | EAP_TLS_FLAG.length;
  head.writeUInt32BE(len, 1);
  return Buffer.concat([head, t.data]);
}

export function buildEapTls(code: EapRequestResponseCode, id: number, t: EapTlsData): Buffer {
  return buildEap({ code, id, type: EAP_TYPE.tls, typeData: encodeEapTls(t) });
}

export function buildEapSuccess(id: number): Buffer {
  return buildEap({ code: EAP_CODE.success, id });
}

export function buildEapFailure(id: number): Buffer {
  return buildEap({ code: EAP_CODE.failure, id });
}
