/**
 * OCSP request parsing (RFC 6960 §4.1, RFC 5019 §2.1; nonce RFC 8954 §2.1 / RFC 9654 §2.1) and
 * the GET path decoding of RFC 6960 Appendix A.1 / RFC 5019 §5.
 *
 * Rules enforced — every failure is AppError('ERR_OCSP_MALFORMED') (answered malformedRequest):
 * - At most OCSP_MAX_REQUEST_BYTES (64 KiB), checked before any parsing; strict DER through the
 *   ca/asn1 reader: one value, no trailing bytes, minimal lengths, nesting at most 16.
 * - OCSPRequest ::= SEQUENCE { tbsRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }.
 *   A signature is accepted and shape-checked but never verified nor required (§4.1.2).
 * - TBSRequest: version [0] EXPLICIT v1 only (absent is the DER form; an explicit v1, as some
 *   BER-minded encoders write, is tolerated); requestorName [1] EXPLICIT GeneralName skipped;
 *   requestList of 1..maxCertIds Requests (ca.ocsp.maxCertIds); requestExtensions [2].
 * - CertID (§4.1.1): hashAlgorithm SHA-1 or SHA-256 with parameters NULL or absent, hashes of
 *   20/32 octets. Other hash algorithms parse as 'unsupported' (the responder cannot name the
 *   issuer and answers unauthorized, RFC 5019 §2.2.3). The serial is a minimal INTEGER; a
 *   negative one parses with serial null (never ours: status unknown). The CertID DER is kept so
 *   the response echoes it byte for byte (§4.2.1).
 * - Extensions (RFC 5280 §4.1 syntax): critical FALSE must be omitted (DER DEFAULT), no duplicate
 *   OIDs, an unknown critical extension is refused (§4.4). Nonce (RFC 8954 §2.1): extnValue is an
 *   OCTET STRING of 1..32 octets; empty or longer is malformedRequest. A nonce in
 *   singleRequestExtensions has no meaning and is ignored (unless critical).
 */
import { AppError, isAppError } from '../../platform/errors.ts';
import * as der from '../asn1/index.ts';
import { OID, type Tlv } from '../asn1/index.ts';
import { serialHex } from '../serial.ts';

export const OCSP_MAX_REQUEST_BYTES = 64 * 1024;
export const OCSP_MAX_NONCE_BYTES = 32;

export type CertIdHash = 'sha1' | 'sha256' | 'unsupported';

export interface OcspCertId {
  hashAlg: CertIdHash;
  /** True when hashAlgorithm.parameters is absent (false: NULL). Part of the echoed bytes. */
  paramsAbsent: boolean;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  /** Lowercase hex of the positive serial, no leading zeros (the store's form); null if negative. */
  serial: string | null;
  /** The complete CertID encoding, echoed verbatim in the SingleResponse. */
  der: Buffer;
}

export interface OcspRequest {
  certIds: OcspCertId[];
  /** The nonce octets (1..32), or null. */
  nonce: Buffer | null;
  /** extnValue content of the nonce extension (the DER OCTET STRING wrapping the nonce), echoed. */
  nonceExtnValue: Buffer | null;
  signed: boolean;
}

export interface ParseOptions {
  maxCertIds: number;
}

const malformed = (msg: string, cause?: unknown): AppError =>
  new AppError('ERR_OCSP_MALFORMED', `malformed OCSP request: ${msg}`, cause ? { cause } : {});

const HASHES = new Map<string, [CertIdHash, number]>([
  [OID.sha1, ['sha1', 20]],
  [OID.sha256, ['sha256', 32]],
]);
/** Hash algorithms we can recognise but not match (their CertIDs get `unauthorized`). */
const OTHER_HASHES = new Set<string>([OID.sha384, OID.sha512]);

/** Parses a DER OCSPRequest; see the rules at the top of this file. */
export function parseOcspRequest(input: Buffer, opts: ParseOptions): OcspRequest {
  if (!Buffer.isBuffer(input)) throw malformed('not bytes');
  if (input.length > OCSP_MAX_REQUEST_BYTES) throw malformed(`larger than ${OCSP_MAX_REQUEST_BYTES} bytes`);
  try {
    return parse(input, opts);
  } catch (e) {
    if (isAppError(e, 'ERR_DER_MALFORMED')) throw malformed(e.message, e);
    throw e;
  }
}

function parse(buf: Buffer, opts: ParseOptions): OcspRequest {
  const [tbsT, sigT, ...rest] = der.children(buf, der.parseDerExact(buf, { maxDepth: 16 }), 0x30);
  if (!tbsT || rest.length) throw malformed('OCSPRequest');
  if (sigT) checkSignature(buf, sigT);
  const f = der.children(buf, tbsT, 0x30);
  let i = 0;
  if (f[i]?.id === 0xa0) {
    const [v, ...more] = der.children(buf, f[i++] as Tlv);
    if (!v || more.length || der.readSmallInt(buf, v) !== 0) throw malformed('unsupported version');
  }
  if (f[i]?.id === 0xa1) {
    const gn = der.children(buf, f[i++] as Tlv);
    if (gn.length !== 1) throw malformed('requestorName');
  }
  const listT = f[i++];
  if (!listT) throw malformed('no requestList');
  const extT = f[i]?.id === 0xa2 ? f[i++] : undefined;
  if (i !== f.length) throw malformed('TBSRequest');

  const reqs = der.children(buf, listT, 0x30);
  if (reqs.length === 0) throw malformed('empty requestList');
  if (reqs.length > opts.maxCertIds) throw malformed(`more than ${opts.maxCertIds} CertIDs`);
  const certIds = reqs.map((r) => request(buf, r));

  let nonceExtnValue: Buffer | null = null;
  let nonce: Buffer | null = null;
  for (const ext of extensions(buf, extT)) {
    if (ext.oid === OID.ocspNonce) {
      nonceExtnValue = ext.value;
      nonce = der.readOctetString(ext.value, der.parseDerExact(ext.value));
      if (nonce.length < 1 || nonce.length > OCSP_MAX_NONCE_BYTES) {
        throw malformed(`nonce must be 1..${OCSP_MAX_NONCE_BYTES} octets (RFC 8954)`);
      }
    } else if (ext.critical) throw malformed(`unsupported critical extension ${ext.oid}`);
  }
  return { certIds, nonce, nonceExtnValue, signed: sigT !== undefined };
}

/** Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL } */
function request(buf: Buffer, t: Tlv): OcspCertId {
  const [certT, extT, ...rest] = der.children(buf, t, 0x30);
  if (!certT || rest.length || (extT && extT.id !== 0xa0)) throw malformed('Request');
  for (const ext of extensions(buf, extT))
    if (ext.critical) throw malformed(`unsupported critical extension ${ext.oid}`);
  const [algT, nameT, keyT, serialT, ...more] = der.children(buf, certT, 0x30);
  if (!algT || !nameT || !keyT || !serialT || more.length) throw malformed('CertID');
  const [oidT, paramsT, ...extra] = der.children(buf, algT, 0x30);
  if (!oidT || extra.length) throw malformed('hashAlgorithm');
  const algOid = der.readOid(buf, oidT);
  if (paramsT) der.readNull(buf, paramsT);
  const known = HASHES.get(algOid);
  if (!known && !OTHER_HASHES.has(algOid)) throw malformed('unknown CertID hash algorithm');
  const issuerNameHash = der.readOctetString(buf, nameT);
  const issuerKeyHash = der.readOctetString(buf, keyT);
  if (known && (issuerNameHash.length !== known[1] || issuerKeyHash.length !== known[1])) {
    throw malformed('CertID hash length does not match its algorithm');
  }
  return {
    hashAlg: known ? known[0] : 'unsupported',
    paramsAbsent: paramsT === undefined,
    issuerNameHash,
    issuerKeyHash,
    serial: serialOf(buf, serialT),
    der: der.rawOf(buf, certT),
  };
}

/** Lowercase hex without leading zeros, as the store keeps serials (ca/serial.ts); null if negative. */
function serialOf(buf: Buffer, t: Tlv): string | null {
  const c = der.readIntegerRaw(buf, expectInteger(t));
  return (c[0] as number) & 0x80 ? null : serialHex(c);
}

function expectInteger(t: Tlv): Tlv {
  if (t.id !== 0x02) throw malformed('serialNumber must be an INTEGER');
  return t;
}

interface Ext {
  oid: string;
  critical: boolean;
  value: Buffer;
}

/** [n] EXPLICIT Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension (RFC 5280 §4.1). */
function extensions(buf: Buffer, wrapper: Tlv | undefined): Ext[] {
  if (!wrapper) return [];
  const [seqT, ...rest] = der.children(buf, wrapper);
  if (!seqT || rest.length) throw malformed('Extensions');
  const out: Ext[] = [];
  for (const e of der.children(buf, seqT, 0x30)) {
    const f = der.children(buf, e, 0x30);
    if (f.length < 2 || f.length > 3 || !f[0]) throw malformed('Extension');
    const critical = f.length === 3 ? der.readBoolean(buf, f[1] as Tlv) : false;
    if (f.length === 3 && !critical) throw malformed('Extension.critical FALSE must be omitted');
    const ext = { oid: der.readOid(buf, f[0]), critical, value: der.readOctetString(buf, f[f.length - 1] as Tlv) };
    if (out.some((x) => x.oid === ext.oid)) throw malformed(`duplicate extension ${ext.oid}`);
    out.push(ext);
  }
  if (out.length === 0) throw malformed('empty Extensions');
  return out;
}

/** Signature ::= SEQUENCE { signatureAlgorithm, signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL } */
function checkSignature(buf: Buffer, wrapper: Tlv): void {
  if (wrapper.id !== 0xa0) throw malformed('optionalSignature');
  const [sigT, ...rest] = der.children(buf, wrapper);
  if (!sigT || rest.length) throw malformed('optionalSignature');
  const [algT, bitsT, certsT, ...more] = der.children(buf, sigT, 0x30);
  if (!algT || !bitsT || more.length || (certsT && certsT.id !== 0xa0)) throw malformed('Signature');
  der.children(buf, algT, 0x30);
  der.readBitString(buf, bitsT);
  if (certsT) for (const c of der.children(buf, certsT)) der.children(buf, c, 0x30);
}

const B64_RE = /^[A-Za-z0-9+/]*$/;
const MAX_GET_CHARS = Math.ceil(OCSP_MAX_REQUEST_BYTES / 3) * 4 * 3; // room for %-escapes

/**
 * The DER request carried in a GET path (RFC 6960 App. A.1: url-encoding of base64 of DER).
 * `rest` is the path after `/ocsp/`, still percent-encoded. Accepted quirks: %2F %2B %3D escapes
 * (any %XX), raw `+` and `/` (a `/` of the base64 looks like a path separator), leading slashes
 * (a DER SEQUENCE encodes as base64 starting with `M`, so they are never data), missing `=`
 * padding, a space where a `+` was form-decoded, and base64url `-` `_`.
 */
export function decodeGetPath(rest: string): Buffer {
  if (typeof rest !== 'string' || rest.length > MAX_GET_CHARS) throw malformed('GET path too long');
  let s = rest;
  let p = 0;
  while (p < s.length && s.charCodeAt(p) === 0x2f) p++;
  if (p) s = s.slice(p);
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s);
    } catch (e) {
      throw malformed('bad percent-encoding in GET path', e);
    }
  }
  if (!B64_RE.test(s)) s = s.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/');
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--;
  if (s.length - end > 2) throw malformed('bad base64 padding');
  s = s.slice(0, end);
  if (s.length === 0 || s.length % 4 === 1 || !B64_RE.test(s)) throw malformed('GET path is not base64');
  const out = Buffer.from(s, 'base64');
  if (out.length > OCSP_MAX_REQUEST_BYTES) throw malformed('request too large');
  return out;
}
