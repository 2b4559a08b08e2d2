/**
 * Minimal DER writer and strict BER reader helpers for the SCEP message layer.
 *
 * Rules enforced:
 * - Everything we emit is DER (X.690 §10): definite lengths, minimal length octets, and SET OF
 *   components sorted by their encodings (X.690 §11.6). Go-based clients (micromdm) re-marshal
 *   signed attributes before verifying, so an unsorted SET would break their signature check
 *   (RFC 5652 §5.4: the signature covers the DER encoding of SignedAttributes).
 * - Input is decoded by an owned reader (no library auto-parsing OCTET STRING contents, which
 *   cost ~1 ms per message in asn1js): the buffer must hold exactly one element; nesting is
 *   capped at 40 levels, lengths at 4 octets, tag numbers at 3 octets. BER that real clients
 *   send is tolerated: indefinite lengths on constructed elements and segmented (constructed)
 *   strings. Universal tags must have the right form (SEQUENCE/SET constructed; BOOLEAN,
 *   INTEGER, NULL, OID primitive); OIDs must be minimally encoded.
 * - Every reader helper throws a plain `DerError`; callers map it to their AppError code.
 */
export class DerError extends Error {}

/** A decoded TLV. `bytes` is the whole element and `content` its value, both views of the input. */
export interface Node {
  cls: number; // 0 universal, 1 application, 2 context-specific, 3 private
  tag: number;
  constructed: boolean;
  bytes: Buffer;
  content: Buffer;
  children: Node[] | undefined;
}

// --- writer ---------------------------------------------------------------------------------

function lengthOctets(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthOctets(body.length), body]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
export const octets = (b: Buffer | Uint8Array): Buffer => tlv(0x04, Buffer.from(b));
export const printable = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
export const derNull = (): Buffer => Buffer.from([0x05, 0x00]);
/** Context-specific constructed tag [n] (EXPLICIT wrapper, or IMPLICIT of a constructed type). */
export const ctx = (n: number, ...items: Buffer[]): Buffer => tlv(0xa0 | n, ...items);

/** SET OF with components in DER order (X.690 §11.6). */
export function setOf(items: Buffer[]): Buffer {
  return tlv(0x31, ...[...items].sort(Buffer.compare));
}

export function integer(n: number | Buffer): Buffer {
  let b = typeof n === 'number' ? Buffer.from([n]) : Buffer.from(n);
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && ((b[i + 1] ?? 0) & 0x80) === 0) i++;
  b = b.subarray(i);
  if (b.length === 0 || ((b[0] ?? 0) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const [a = 0, b = 0, ...rest] = arcs;
  for (const arc of [a * 40 + b, ...rest]) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** AlgorithmIdentifier; `params` undefined means absent (RFC 5754 for SHA-2 digests). */
export const algId = (dotted: string, params?: Buffer): Buffer =>
  params ? seq(oid(dotted), params) : seq(oid(dotted));

// --- reader ---------------------------------------------------------------------------------

const MAX_DEPTH = 40;
const MUST_BE_PRIMITIVE = new Set([1, 2, 5, 6]); // BOOLEAN, INTEGER, NULL, OID

/** The byte at `pos`, or 'truncated' past `end` (no closure per node: see parseAt). */
function byteAt(buf: Buffer, pos: number, end: number): number {
  if (pos >= end) throw new DerError('truncated');
  return buf[pos] as number;
}

// Hot path (every node of every SCEP message): no closures created per call; under tsx each
// one costs an Object.defineProperty for its name (esbuild keepNames), measured at ~3% of SCEP.
function parseAt(buf: Buffer, start: number, end: number, depth: number): Node {
  if (depth > MAX_DEPTH) throw new DerError('nesting too deep');
  let pos = start;
  const t = byteAt(buf, pos++, end);
  const cls = t >> 6;
  const constructed = (t & 0x20) !== 0;
  let tag = t & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0, b = 0x80; b & 0x80; i++) {
      if (i === 3) throw new DerError('tag number too large');
      b = byteAt(buf, pos++, end);
      tag = tag * 128 + (b & 0x7f);
    }
  }
  if (cls === 0 && (tag === 0 || (constructed ? MUST_BE_PRIMITIVE.has(tag) : tag === 16 || tag === 17))) {
    throw new DerError('bad universal tag form');
  }
  const lb = byteAt(buf, pos++, end);
  let children: Node[] | undefined = constructed ? [] : undefined;
  if (lb === 0x80) {
    // BER indefinite length (constructed only), ended by an end-of-contents octet pair.
    if (!children) throw new DerError('indefinite length on a primitive');
    const contentStart = pos;
    for (;;) {
      if (pos + 2 > end) throw new DerError('missing end-of-contents');
      if (buf[pos] === 0 && buf[pos + 1] === 0) break;
      const child = parseAt(buf, pos, end, depth + 1);
      children.push(child);
      pos += child.bytes.length;
    }
    return {
      cls,
      tag,
      constructed,
      bytes: buf.subarray(start, pos + 2),
      content: buf.subarray(contentStart, pos),
      children,
    };
  }
  let len = lb;
  if (lb > 0x80) {
    if (lb > 0x84) throw new DerError('length too large');
    len = 0;
    for (let i = 0; i < (lb & 0x7f); i++) len = len * 256 + byteAt(buf, pos++, end);
  }
  if (len > end - pos) throw new DerError('truncated');
  const contentEnd = pos + len;
  if (children) {
    for (let p = pos; p < contentEnd;) {
      const child = parseAt(buf, p, contentEnd, depth + 1);
      children.push(child);
      p += child.bytes.length;
    }
  } else {
    children = undefined;
  }
  return {
    cls,
    tag,
    constructed,
    bytes: buf.subarray(start, contentEnd),
    content: buf.subarray(pos, contentEnd),
    children,
  };
}

/** One element spanning the whole input; depth-limited, BER lengths tolerated. */
export function decode(der: Uint8Array): Node {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const node = parseAt(buf, 0, buf.length, 0);
  if (node.bytes.length !== buf.length) throw new DerError('trailing bytes');
  return node;
}

export function isUniversal(n: Node | undefined, tagNumber: number): n is Node {
  return n !== undefined && n.cls === 0 && n.tag === tagNumber;
}

export function isContext(n: Node | undefined, tagNumber: number): n is Node {
  return n !== undefined && n.cls === 2 && n.tag === tagNumber;
}

/** Children of a constructed node; throws unless it is constructed. */
export function kids(n: Node | undefined): Node[] {
  if (n === undefined || !n.children) throw new DerError('expected constructed');
  return n.children;
}

export function seqKids(n: Node | undefined): Node[] {
  if (!isUniversal(n, 16)) throw new DerError('expected SEQUENCE');
  return kids(n);
}

export function setKids(n: Node | undefined): Node[] {
  if (!isUniversal(n, 17)) throw new DerError('expected SET');
  return kids(n);
}

/** A private copy of the whole encoding (callers may modify it, e.g. re-tag signedAttrs). */
export const raw = (n: Node): Buffer => Buffer.from(n.bytes);

export function oidOf(n: Node | undefined): string {
  if (!isUniversal(n, 6) || n.content.length === 0) throw new DerError('expected OID');
  const arcs: number[] = [];
  let v = 0;
  let arcStart = true;
  for (const b of n.content) {
    if (arcStart && b === 0x80) throw new DerError('non-minimal OID arc');
    v = v * 128 + (b & 0x7f);
    if (v > 2 ** 48) throw new DerError('OID arc too large');
    arcStart = (b & 0x80) === 0;
    if (arcStart) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  if (!arcStart) throw new DerError('truncated OID');
  return arcs.join('.');
}

/** Content octets; a BER constructed string (or implicit tag over one) is concatenated. */
export function contentOf(n: Node | undefined): Buffer {
  if (n === undefined) throw new DerError('missing element');
  if (!n.children) return n.content;
  return Buffer.concat(
    n.children.map((k) => {
      if (!isUniversal(k, 4)) throw new DerError('string segment is not an OCTET STRING');
      return contentOf(k);
    }),
  );
}

export function octetsOf(n: Node | undefined): Buffer {
  if (!isUniversal(n, 4)) throw new DerError('expected OCTET STRING');
  return contentOf(n);
}

/** AlgorithmIdentifier → { oid, params? } (an explicit NULL counts as absent). */
export function readAlgId(n: Node | undefined): { oid: string; params: Node | undefined } {
  const [o, params, extra] = seqKids(n);
  if (extra) throw new DerError('AlgorithmIdentifier: extra element');
  return { oid: oidOf(o), params: isUniversal(params, 5) ? undefined : params };
}

/** INTEGER value bytes without sign-padding zeros, so two encodings of one value compare equal. */
export function intBytes(n: Node | undefined): Buffer {
  if (!isUniversal(n, 2) || n.content.length === 0) throw new DerError('expected INTEGER');
  const b = n.content;
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}
