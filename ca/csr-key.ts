/**
 * SubjectPublicKeyInfo analysis, key policy and key identifiers for requests (used by csr.ts).
 *
 * Rules enforced:
 * - SPKI (RFC 5280 §4.1.2.7): SEQUENCE { AlgorithmIdentifier, BIT STRING without unused bits }.
 * - RSA (RFC 3279 §2.3.1, RFC 8017 §A.1.1): parameters NULL; RSAPublicKey is exact DER with a
 *   positive modulus and exponent.
 * - EC (RFC 5480 §2.1.1, §2.2): parameters must be a namedCurve OID; implicitCurve and
 *   specifiedCurve (explicit parameters) are unsupported; the point is 1 + 2n octets starting
 *   0x04 or 1 + n octets starting 0x02/0x03 for the curve's field size n.
 * - Ed25519 (RFC 8410 §3): parameters absent, 32-octet key.
 * - Key policy (ERR_KEY_POLICY): RSA 2048..8192 bits and exponent exactly 65537; EC only
 *   P-256/P-384/P-521; unsupported algorithms and curves refused. A caller policy only narrows.
 * - subjectKeyIdentifier: SHA-1 of the subjectPublicKey BIT STRING value, excluding tag, length
 *   and unused-bits octet (RFC 5280 §4.2.1.2 method 1).
 * Structural errors throw ERR_DER_MALFORMED (csr.ts maps them to ERR_CSR_MALFORMED).
 */
import { createHash } from 'node:crypto';
import { AppError } from '../platform/errors.ts';
import * as der from './asn1/index.ts';
import { OID, type Tlv } from './asn1/index.ts';

export type EcCurve = 'P-256' | 'P-384' | 'P-521';
export type KeyInfo =
  | { kind: 'ec'; curve: EcCurve }
  /** exponent is exact up to 2^53; larger values are approximate (and always refused). */
  | { kind: 'rsa'; bits: number; exponent: number }
  | { kind: 'ed25519' };
/** What an SPKI holds, including keys this CA refuses. */
export type SpkiInfo = KeyInfo | { kind: 'unsupported'; reason: string };

export interface KeyPolicy {
  /** Bounds inside the hard 2048..8192; false refuses RSA. */
  rsa?: { minBits?: number; maxBits?: number } | false;
  /** Allowed curves (default all three); false refuses EC. */
  ec?: readonly EcCurve[] | false;
  /** false refuses Ed25519. */
  ed25519?: boolean;
}

const CURVES: Record<string, [EcCurve, number]> = {
  [OID.secp256r1]: ['P-256', 32],
  [OID.secp384r1]: ['P-384', 48],
  [OID.secp521r1]: ['P-521', 66],
};

/**
 * SPKI analysis at `t` in `buf`. `material` is the validated key data: [point] for EC,
 * [modulus, exponent] (unsigned magnitudes) for RSA, [32 octets] for Ed25519.
 */
export function spkiInfo(buf: Buffer, t: Tlv): { info: SpkiInfo; material: Buffer[] } {
  const [algT, keyT, ...rest] = der.children(buf, t, 0x30);
  if (!algT || !keyT || rest.length) return der.fail('SubjectPublicKeyInfo');
  const { oid, params } = der.readAlgorithmId(buf, algT);
  const { unusedBits, bytes } = der.readBitString(buf, keyT);
  if (unusedBits) return der.fail('subjectPublicKey has unused bits');
  if (oid === OID.rsaEncryption) {
    if (!params) return der.fail('rsaEncryption parameters must be NULL');
    der.readNull(buf, params);
    const [nT, eT, ...more] = der.children(bytes, der.parseDerExact(bytes), 0x30);
    if (!nT || !eT || more.length) return der.fail('RSAPublicKey');
    const n = der.readUnsigned(bytes, nT);
    const e = der.readUnsigned(bytes, eT);
    if (n[0] === 0 || e[0] === 0) return der.fail('RSA modulus or exponent is zero');
    const bits = (n.length - 1) * 8 + 32 - Math.clz32(n[0] as number);
    const exponent = e.length <= 6 ? e.readUIntBE(0, e.length) : Number(BigInt('0x' + e.toString('hex')));
    return { info: { kind: 'rsa', bits, exponent }, material: [n, e] };
  }
  if (oid === OID.ecPublicKey) {
    if (params?.id !== 0x06)
      return { info: { kind: 'unsupported', reason: 'EC key without a named curve' }, material: [] };
    const curve = CURVES[der.readOid(buf, params)];
    if (!curve) return { info: { kind: 'unsupported', reason: 'EC curve not supported' }, material: [] };
    const [name, size] = curve;
    const p0 = bytes[0];
    const ok = (p0 === 4 && bytes.length === 1 + 2 * size) || ((p0 === 2 || p0 === 3) && bytes.length === 1 + size);
    if (!ok) return der.fail('EC point has the wrong size');
    return { info: { kind: 'ec', curve: name }, material: [bytes] };
  }
  if (oid === OID.ed25519) {
    if (params || bytes.length !== 32) return der.fail('Ed25519 key');
    return { info: { kind: 'ed25519' }, material: [bytes] };
  }
  return { info: { kind: 'unsupported', reason: `key algorithm ${der.oidName(oid)} not supported` }, material: [] };
}

/** What a DER SubjectPublicKeyInfo holds (ERR_DER_MALFORMED when it is not one). */
export function describeSpki(spkiDer: Buffer): SpkiInfo {
  return spkiInfo(spkiDer, der.parseDerExact(spkiDer)).info;
}

/** Throws ERR_KEY_POLICY unless the key is allowed; `allowed` only narrows the hard limits. */
export function checkKeyPolicy(key: SpkiInfo, allowed: KeyPolicy = {}): asserts key is KeyInfo {
  const no = (msg: string): never => {
    throw new AppError('ERR_KEY_POLICY', msg);
  };
  if (key.kind === 'unsupported') return no(key.reason);
  if (key.kind === 'rsa') {
    if (allowed.rsa === false) no('RSA keys are not allowed');
    const min = Math.max(2048, (allowed.rsa && allowed.rsa.minBits) || 0);
    const max = Math.min(8192, (allowed.rsa && allowed.rsa.maxBits) || Infinity);
    if (key.bits < min || key.bits > max) no(`RSA key size must be ${min}..${max} bits`);
    if (key.exponent !== 65537) no('RSA public exponent must be 65537');
  } else if (key.kind === 'ec') {
    if (allowed.ec === false || !(allowed.ec ?? ['P-256', 'P-384', 'P-521']).includes(key.curve)) {
      no(`EC curve ${key.curve} is not allowed`);
    }
  } else if (allowed.ed25519 === false) no('Ed25519 keys are not allowed');
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
export function subjectKeyIdentifier(spkiDer: Buffer): Buffer {
  const [, keyT] = der.children(spkiDer, der.parseDerExact(spkiDer), 0x30);
  if (!keyT) return der.fail('SubjectPublicKeyInfo');
  return createHash('sha1').update(der.readBitString(spkiDer, keyT).bytes).digest();
}
