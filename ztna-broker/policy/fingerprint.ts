/**
 * Text forms of SHA-256 certificate fingerprints and SPKI pins.
 *
 * Rules enforced:
 * - A certificate fingerprint is SHA-256 over the DER certificate, written as 64 hex digits,
 *   optionally colon-separated in pairs (OpenSSL's `-fingerprint` output) and optionally prefixed
 *   `sha256:`; the canonical form is 64 lower-case hex digits. Only SHA-256 is accepted.
 * - An SPKI pin is `sha256/` + standard base64 (with padding) of SHA-256 over the
 *   SubjectPublicKeyInfo DER, the form of RFC 7469 §2.4 (pin-sha256), and must decode to 32 bytes.
 */
import type { UpstreamPin } from './types.ts';

const HEX64 = /^[0-9a-f]{64}$/;
const HEX_PAIRS = /^(?:[0-9a-f]{2}:){31}[0-9a-f]{2}$/;
const SPKI = /^sha256\/([A-Za-z0-9+/]{43}=)$/;

/** Canonical lower-case hex, or null when not a SHA-256 fingerprint. */
export function normalizeFingerprint(text: string): string | null {
  if (typeof text !== 'string' || text.length > 110) return null;
  let s = text.toLowerCase();
  if (s.startsWith('sha256:')) s = s.slice(7);
  if (HEX64.test(s)) return s;
  if (HEX_PAIRS.test(s)) return s.replace(/:/g, '');
  return null;
}

/** Parses an upstream pin (`sha256/<base64>` SPKI or `sha256:<hex>` certificate). */
export function parsePin(text: string): UpstreamPin | null {
  if (typeof text !== 'string') return null;
  const m = SPKI.exec(text);
  if (m !== null) {
    const b64 = m[1] as string;
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length !== 32 || bytes.toString('base64') !== b64) return null;
    return { kind: 'spki-sha256', base64: b64 };
  }
  if (!text.toLowerCase().startsWith('sha256:')) return null;
  const hex = normalizeFingerprint(text);
  return hex === null ? null : { kind: 'cert-sha256', hex };
}
