/**
 * PEM text encoding of DER (RFC 7468).
 *
 * Rules enforced:
 * - Output: `-----BEGIN <label>-----`, base64 in lines of exactly 64 characters (last line shorter),
 *   `-----END <label>-----`, LF line ends, a final newline (RFC 7468 §2, §3 "stricttextualmsg").
 * - Labels are RFC 7468 §3 labelchar sequences (printable ASCII except '-', single inner spaces or
 *   hyphens); END must repeat the BEGIN label.
 * - Input (RFC 7468 §3 "laxtextualmsg"): text before, between and after blocks is ignored;
 *   whitespace, CR, LF and tabs inside the base64 are ignored; the base64 itself must be strict
 *   (alphabet, padding, length a multiple of 4) and non-empty, otherwise ERR_BAD_INPUT.
 *   RFC 1421 encapsulated headers (`Proc-Type:` ...) are refused: encrypted PEM is not supported.
 * - `NEW CERTIFICATE REQUEST` is accepted where `CERTIFICATE REQUEST` is asked (RFC 7468 §7).
 */
import { AppError } from '../../platform/errors.ts';

export interface PemBlock {
  label: string;
  der: Buffer;
}

const LABEL_RE = /^(?:[\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?$/;

function isStrictBase64(s: string): boolean {
  if (s.length === 0 || s.length % 4 !== 0 || /[^A-Za-z0-9+/=]/.test(s)) return false;
  const pad = s.indexOf('=');
  return pad < 0 || (pad >= s.length - 2 && /^=+$/.test(s.slice(pad)));
}
const ALIASES: Record<string, string[]> = { 'CERTIFICATE REQUEST': ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'] };

const bad = (msg: string): AppError => new AppError('ERR_BAD_INPUT', msg);

/** DER to PEM text with 64-character lines. */
export function toPem(label: string, der: Buffer): string {
  if (!LABEL_RE.test(label)) throw bad('invalid PEM label');
  const b64 = der.toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** Every PEM block in `text` (optionally only those with `label`), in order. */
export function fromPemAll(text: string, label?: string): PemBlock[] {
  if (typeof text !== 'string') throw bad('PEM input must be a string');
  const wanted = label === undefined ? null : (ALIASES[label] ?? [label]);
  const out: PemBlock[] = [];
  let pos = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', pos);
    if (begin < 0) break;
    const labelEnd = text.indexOf('-----', begin + 11);
    if (labelEnd < 0) throw bad('unterminated PEM BEGIN line');
    const blockLabel = text.slice(begin + 11, labelEnd);
    if (blockLabel.length > 100 || !LABEL_RE.test(blockLabel)) throw bad('invalid PEM label');
    const endMarker = `-----END ${blockLabel}-----`;
    const endAt = text.indexOf('-----END ', labelEnd + 5);
    if (endAt < 0 || !text.startsWith(endMarker, endAt)) throw bad('PEM END line missing or mismatched');
    const body = text.slice(labelEnd + 5, endAt);
    if (body.includes(':')) throw bad('PEM headers (encrypted PEM) are not supported');
    const b64 = body.replace(/[ \t\r\n]+/g, '');
    if (!isStrictBase64(b64)) throw bad('invalid base64 in PEM');
    if (wanted === null || wanted.includes(blockLabel)) {
      out.push({ label: blockLabel, der: Buffer.from(b64, 'base64') });
    }
    pos = endAt + endMarker.length;
  }
  return out;
}

/** The first PEM block (with `label` when given); `{ all: true }` returns every matching block. */
export function fromPem(text: string, label?: string): Buffer;
export function fromPem(text: string, label: string | undefined, opts: { all: true }): PemBlock[];
export function fromPem(text: string, label?: string, opts?: { all: true }): Buffer | PemBlock[] {
  const blocks = fromPemAll(text, label);
  if (opts?.all) return blocks;
  const first = blocks[0];
  if (!first) throw bad(label ? `no PEM block labelled ${label}` : 'no PEM block found');
  return first.der;
}
