/**
 * SCEP authenticated attributes (RFC 8894 §3.2.1) and the CMS attributes that travel with them.
 *
 * Rules enforced:
 * - Every attribute occurs at most once and carries exactly one value (RFC 5652 §5.3 for
 *   contentType/messageDigest; SCEP attributes are single-valued, RFC 8894 §3.2.1); duplicates
 *   are rejected rather than "first wins", so two parsers can never disagree on a message.
 * - transactionID (§3.2.1.1) is a PrintableString of 1–128 characters from the PrintableString
 *   alphabet (X.680 §41.4); UTF8String/IA5String are tolerated only when the text stays inside
 *   that alphabet. It ends up in logs and the database, so nothing else gets through.
 * - messageType (§3.2.1.2) is a decimal PrintableString; requests we accept: RenewalReq(17),
 *   PKCSReq(19), CertPoll(20), GetCert(21), GetCRL(22). CertRep(3) and the obsolete
 *   UpdateReq(18) are refused.
 * - senderNonce/recipientNonce (§3.2.1.5) are OCTET STRINGs of exactly 16 octets.
 * - CertRep attributes (§3.3.2): transactionID, messageType=3, pkiStatus (§3.2.1.3: 0 SUCCESS,
 *   2 FAILURE, 3 PENDING), failInfo (§3.2.1.4: 0..4) only with FAILURE, optional failInfoText,
 *   senderNonce, recipientNonce, plus CMS contentType and messageDigest (RFC 5652 §11.1, §11.2).
 */
import {
  DerError,
  type Node,
  contentOf,
  isUniversal,
  octets,
  oid,
  oidOf,
  printable,
  seq,
  seqKids,
  setKids,
  setOf,
  utf8,
} from './der.ts';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionID: '2.16.840.1.113733.1.9.7',
  failInfoText: '1.3.6.1.5.5.7.24.1',
} as const;

export const MESSAGE_TYPE = { CertRep: 3, RenewalReq: 17, PKCSReq: 19, CertPoll: 20, GetCert: 21, GetCRL: 22 } as const;
export type RequestMessageType = 17 | 19 | 20 | 21 | 22;
const REQUEST_TYPES: readonly RequestMessageType[] = [17, 19, 20, 21, 22];

export const PKI_STATUS = { SUCCESS: '0', FAILURE: '2', PENDING: '3' } as const;
export type PkiStatus = keyof typeof PKI_STATUS;

export const FAIL_INFO = { badAlg: '0', badMessageCheck: '1', badRequest: '2', badTime: '3', badCertId: '4' } as const;
export type FailInfo = keyof typeof FAIL_INFO;

export const NONCE_LENGTH = 16;
export const TRANSACTION_ID_MAX = 128;
const TRANSACTION_ID_RE = /^[A-Za-z0-9 '()+,\-./:=?]+$/;

export function isValidTransactionId(s: unknown): s is string {
  return typeof s === 'string' && s.length >= 1 && s.length <= TRANSACTION_ID_MAX && TRANSACTION_ID_RE.test(s);
}

/** The Attribute list of SignedAttributes → single value per type; throws on duplicates. */
export function readAttributes(list: Node[]): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const a of list) {
    const [type, values, extra] = seqKids(a);
    if (extra !== undefined) throw new DerError('attribute: extra element');
    const t = oidOf(type);
    const vals = setKids(values);
    if (vals.length !== 1 || out.has(t)) throw new DerError(`attribute ${t}: not single-valued`);
    out.set(t, vals[0] as Node);
  }
  return out;
}

/** PrintableString (or UTF8String/IA5String) text; the caller validates the alphabet. */
function text(n: Node | undefined): string {
  if (!(isUniversal(n, 19) || isUniversal(n, 12) || isUniversal(n, 22))) throw new DerError('expected string');
  return contentOf(n).toString('latin1');
}

export interface RequestAttributes {
  transactionId: string;
  messageType: RequestMessageType;
  senderNonce: Buffer;
}

/** Pulls and validates the SCEP attributes every request must carry (RFC 8894 §3.2.1).
 *  contentType and messageDigest are CMS rules, checked in signed-data.ts. */
export function readRequestAttributes(attrs: Map<string, Node>): RequestAttributes {
  const need = (o: string): Node => {
    const v = attrs.get(o);
    if (!v) throw new DerError(`missing attribute ${o}`);
    return v;
  };
  const transactionId = text(need(OID.transactionID));
  if (!isValidTransactionId(transactionId)) throw new DerError('transactionID: bad length or charset');
  const mt = text(need(OID.messageType));
  const messageType = REQUEST_TYPES.find((t) => String(t) === mt);
  if (messageType === undefined) throw new DerError('messageType: not a request type');
  const nonce = need(OID.senderNonce);
  if (!isUniversal(nonce, 4)) throw new DerError('senderNonce: not an OCTET STRING');
  const senderNonce = contentOf(nonce);
  if (senderNonce.length !== NONCE_LENGTH) throw new DerError('senderNonce: must be 16 octets');
  return { transactionId, messageType, senderNonce };
}

const attribute = (type: string, value: Buffer): Buffer => seq(oid(type), setOf([value]));

export interface CertRepAttributeInput {
  transactionId: string;
  status: PkiStatus;
  failInfo?: FailInfo;
  failInfoText?: string;
  senderNonce: Buffer;
  recipientNonce: Buffer;
  messageDigest: Buffer;
}

/** The CertRep signed attributes (RFC 8894 §3.3.2), unsorted; the SignerInfo encoder sorts. */
export function certRepAttributes(a: CertRepAttributeInput): Buffer[] {
  const out = [
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octets(a.messageDigest)),
    attribute(OID.transactionID, printable(a.transactionId)),
    attribute(OID.messageType, printable(String(MESSAGE_TYPE.CertRep))),
    attribute(OID.pkiStatus, printable(PKI_STATUS[a.status])),
    attribute(OID.senderNonce, octets(a.senderNonce)),
    attribute(OID.recipientNonce, octets(a.recipientNonce)),
  ];
  if (a.status === 'FAILURE') {
    out.push(attribute(OID.failInfo, printable(FAIL_INFO[a.failInfo ?? 'badRequest'])));
    if (a.failInfoText) out.push(attribute(OID.failInfoText, utf8(a.failInfoText)));
  }
  return out;
}
