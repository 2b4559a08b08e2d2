/**
 * PKCS#10 certification requests (RFC 2986): strict parse, key policy, proof-of-possession.
 *
 * Rules enforced, in this order:
 * - At most 64 KiB, checked before any parsing (ERR_CSR_TOO_LARGE).
 * - Strict DER, one value, no trailing bytes; version 0; exactly the RFC 2986 §4 fields; the
 *   `attributes [0]` field may be absent (old encoders); extensionRequest (RFC 2985 §5.4.2) and
 *   challengePassword (§5.4.1, DirectoryString of at most 255 characters) hold one value each;
 *   Extension.critical is omitted when FALSE (DER DEFAULT, X.690 §11.5) (ERR_CSR_MALFORMED).
 * - Keys (RFC 5480 §2, RFC 3279 §2.3.1, RFC 8410 §3): EC on a named curve with a well-sized point,
 *   RSA with NULL parameters and a positive modulus, Ed25519 without parameters (ERR_CSR_MALFORMED).
 * - Key policy (ERR_KEY_POLICY), BEFORE the signature check so hostile keys cost nothing:
 *   RSA 2048..8192 bits with e = 65537; EC only on P-256/P-384/P-521 (explicit parameters refused).
 * - Duplicate extension OIDs, duplicate extensionRequest/challengePassword attributes, and a
 *   basicConstraints cA TRUE request (RFC 5280 §4.2.1.9) are refused (ERR_CSR_POLICY).
 * - Signature (ERR_CSR_SIGNATURE): ECDSA with SHA-256/384/512, parameters absent (RFC 5758 §3.2);
 *   RSA PKCS#1 v1.5 with SHA-256/384/512 (RFC 4055 §5); RSASSA-PSS with a SHA-2 hash, MGF1 on the
 *   same hash, trailerField 1 (RFC 4055 §3.1); Ed25519 (RFC 8410 §6). SHA-1 is refused; the
 *   algorithm must match the key; the signature BIT STRING has no unused bits.
 * - Returned Buffers are views into a private copy of the input; spkiDer is byte-exact so the issuer
 *   can copy it verbatim. The public key is imported as a JWK built from the validated fields
 *   (OpenSSL 3.0's SPKI decoder costs more than the ECDSA verify itself); OpenSSL still refuses
 *   EC points that are not on the curve (ERR_CSR_MALFORMED). Compressed points go through DER.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AppError, isAppError } from '../platform/errors.ts';
import * as der from './asn1/index.ts';
import { OID, type Tlv } from './asn1/index.ts';
import { checkKeyPolicy, spkiInfo, type KeyInfo, type KeyPolicy } from './csr-key.ts';

export { checkKeyPolicy, describeSpki, subjectKeyIdentifier } from './csr-key.ts';
export type { EcCurve, KeyInfo, KeyPolicy, SpkiInfo } from './csr-key.ts';

export const CSR_MAX_BYTES = 64 * 1024;

export interface CsrExtension {
  oid: string;
  critical: boolean;
  /** The extnValue content: DER of the extension value. */
  valueDer: Buffer;
}

export interface ParsedCsr {
  der: Buffer;
  /** CertificationRequestInfo exactly as signed. */
  infoDer: Buffer;
  subjectDer: Buffer;
  /** RFC 4514 form of the subject, for logs and display. */
  subject: string;
  spkiDer: Buffer;
  key: KeyInfo;
  /** Dotted OID. */
  signatureAlgorithm: string;
  extensions: CsrExtension[];
  challengePassword?: string;
  /** OIDs of all attributes present. */
  attributeOids: string[];
}

export interface ParseCsrOptions {
  /** A lower size cap than CSR_MAX_BYTES. */
  maxBytes?: number;
  keyPolicy?: KeyPolicy;
}

const HASHES: Record<string, string> = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };
const SIG_ALGS: Record<string, [KeyInfo['kind'], string | null]> = {
  [OID.ecdsaWithSHA256]: ['ec', 'sha256'],
  [OID.ecdsaWithSHA384]: ['ec', 'sha384'],
  [OID.ecdsaWithSHA512]: ['ec', 'sha512'],
  [OID.sha256WithRSAEncryption]: ['rsa', 'sha256'],
  [OID.sha384WithRSAEncryption]: ['rsa', 'sha384'],
  [OID.sha512WithRSAEncryption]: ['rsa', 'sha512'],
  [OID.ed25519]: ['ed25519', null],
};

type SigAlg = { kind: KeyInfo['kind']; hash: string | null; saltLength?: number };
const sigErr = (msg: string): AppError => new AppError('ERR_CSR_SIGNATURE', msg);
const policyErr = (msg: string): AppError => new AppError('ERR_CSR_POLICY', msg);

/** RSASSA-PSS-params (RFC 4055 §3.1), restricted to SHA-2 with MGF1 on the same hash. */
function pssParams(buf: Buffer, p: Tlv | undefined): SigAlg {
  const f = p ? der.children(buf, p, 0x30) : [];
  const field = (id: number): Tlv | undefined => {
    const x = f[0] && f[0].id === id ? f.shift() : undefined;
    return x && (der.children(buf, x)[0] ?? der.fail('empty PSS field'));
  };
  const [h, mgf, salt, trailer] = [field(0xa0), field(0xa1), field(0xa2), field(0xa3)];
  if (f.length) return der.fail('RSASSA-PSS-params');
  const hashOf = (t: Tlv): string | undefined => {
    const a = der.readAlgorithmId(buf, t);
    if (a.params) der.readNull(buf, a.params);
    return HASHES[a.oid];
  };
  const hash = h && hashOf(h);
  const mgfAlg = mgf && der.readAlgorithmId(buf, mgf);
  if (!hash || mgfAlg?.oid !== OID.mgf1 || !mgfAlg.params || hashOf(mgfAlg.params) !== hash) {
    throw sigErr('RSASSA-PSS needs a SHA-2 hash and MGF1 with the same hash');
  }
  const saltLength = salt ? der.readSmallInt(buf, salt) : 20;
  if (saltLength < 0 || (trailer && der.readSmallInt(buf, trailer) !== 1)) der.fail('RSASSA-PSS-params');
  return { kind: 'rsa', hash, saltLength };
}

function sigAlg(buf: Buffer, t: Tlv): SigAlg {
  const { oid, params } = der.readAlgorithmId(buf, t);
  if (oid === OID.rsassaPss) return pssParams(buf, params);
  const known = SIG_ALGS[oid];
  if (!known) throw sigErr(`signature algorithm ${der.oidName(oid)} not accepted`);
  if (params && known[0] === 'rsa')
    der.readNull(buf, params); // NULL, or absent as some encoders do
  else if (params) der.fail('signature parameters must be absent');
  return { kind: known[0], hash: known[1] };
}

type Attrs = Pick<ParsedCsr, 'extensions' | 'challengePassword' | 'attributeOids'>;

function extension(buf: Buffer, e: Tlv): CsrExtension {
  const f = der.children(buf, e, 0x30);
  if (f.length < 2 || f.length > 3) return der.fail('Extension');
  const critical = f.length === 3 && der.readBoolean(buf, f[1] as Tlv);
  if (f.length === 3 && !critical) der.fail('Extension.critical FALSE must be omitted');
  return { oid: der.readOid(buf, f[0] as Tlv), critical, valueDer: der.readOctetString(buf, f[f.length - 1] as Tlv) };
}

function attributes(buf: Buffer, t: Tlv | undefined): Attrs {
  const out: Attrs = { extensions: [], attributeOids: [] };
  for (const a of t ? der.children(buf, t, 0xa0) : []) {
    const [typeT, valuesT, ...rest] = der.children(buf, a, 0x30);
    if (!typeT || !valuesT || rest.length) der.fail('Attribute');
    const type = der.readOid(buf, typeT);
    const values = der.children(buf, valuesT, 0x31);
    if (values.length === 0) der.fail('Attribute without values');
    const single = type === OID.extensionRequest || type === OID.challengePassword;
    if (single && out.attributeOids.includes(type)) throw policyErr(`duplicate ${der.oidName(type)} attribute`);
    out.attributeOids.push(type);
    if (single && values.length !== 1) der.fail('single-valued attribute with several values');
    if (type === OID.challengePassword) {
      out.challengePassword = der.readString(buf, values[0] as Tlv);
      if ([...out.challengePassword].length > 255) der.fail('challengePassword longer than 255');
    } else if (type === OID.extensionRequest) {
      const seen = new Set<string>();
      for (const e of der.children(buf, values[0] as Tlv, 0x30)) {
        const ext = extension(buf, e);
        if (seen.has(ext.oid)) throw policyErr(`duplicate extension ${ext.oid}`);
        seen.add(ext.oid);
        out.extensions.push(ext);
      }
    }
  }
  return out;
}

function requestsCa(ext: CsrExtension | undefined): boolean {
  if (!ext) return false;
  const v = ext.valueDer;
  const first = der.children(v, der.parseDerExact(v), 0x30)[0];
  return first !== undefined && first.id === 0x01 && der.readBoolean(v, first);
}

/** Everything but the signature check; throws ERR_CSR_MALFORMED / ERR_KEY_POLICY / ERR_CSR_POLICY. */
function parseStructure(buf: Buffer, opts: ParseCsrOptions) {
  const [infoT, algT, sigT, ...rest] = der.children(buf, der.parseDerExact(buf), 0x30);
  if (!infoT || !algT || !sigT || rest.length) return der.fail('CertificationRequest');
  const [verT, nameT, spkiT, attrT, ...more] = der.children(buf, infoT, 0x30);
  if (!verT || !nameT || !spkiT || more.length || der.readSmallInt(buf, verT) !== 0) der.fail('version or fields');
  const { unusedBits, bytes: sig } = der.readBitString(buf, sigT);
  if (unusedBits) der.fail('signature has unused bits');
  const attrs = attributes(buf, attrT);
  const { info: key, material } = spkiInfo(buf, spkiT);
  const csr = {
    der: buf,
    infoDer: der.rawOf(buf, infoT),
    subjectDer: der.rawOf(buf, der.expectId(nameT, 0x30, 'Name')),
    subject: der.formatName(buf, nameT),
    spkiDer: der.rawOf(buf, spkiT),
    signatureAlgorithm: der.readAlgorithmId(buf, algT).oid,
    ...attrs,
  };
  checkKeyPolicy(key, opts.keyPolicy);
  if (requestsCa(attrs.extensions.find((e) => e.oid === OID.basicConstraints))) {
    throw policyErr('CSR requests a CA certificate');
  }
  const alg = sigAlg(buf, algT);
  if (alg.kind !== key.kind) throw sigErr('signature algorithm does not match the key');
  return { csr: { ...csr, key } as ParsedCsr, alg, sig, material };
}

const b64u = (b: Buffer): string => b.toString('base64url');

/** KeyObject from the validated key fields; JWK avoids OpenSSL 3.0's slow SPKI decoder. */
function importKey(key: KeyInfo, m: Buffer[], spkiDer: Buffer): KeyObject {
  const [a, b] = m as [Buffer, Buffer];
  if (key.kind === 'ec' && a[0] !== 4) return createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  const half = (a.length - 1) / 2;
  const jwk =
    key.kind === 'ec'
      ? { kty: 'EC', crv: key.curve, x: b64u(a.subarray(1, 1 + half)), y: b64u(a.subarray(1 + half)) }
      : key.kind === 'rsa'
        ? { kty: 'RSA', n: b64u(a), e: b64u(b) }
        : { kty: 'OKP', crv: 'Ed25519', x: b64u(a) };
  return createPublicKey({ key: jwk, format: 'jwk' });
}

/** Parses and verifies a DER PKCS#10 request; see the rules at the top of this file. */
export function parseCsr(input: Buffer, opts: ParseCsrOptions = {}): ParsedCsr {
  if (!(input instanceof Uint8Array)) throw new AppError('ERR_CSR_MALFORMED', 'CSR must be bytes');
  const max = Math.min(opts.maxBytes ?? CSR_MAX_BYTES, CSR_MAX_BYTES);
  if (input.length > max) throw new AppError('ERR_CSR_TOO_LARGE', `CSR larger than ${max} bytes`);
  let parsed: ReturnType<typeof parseStructure>;
  try {
    parsed = parseStructure(Buffer.from(input), opts);
  } catch (e) {
    if (isAppError(e, 'ERR_DER_MALFORMED')) throw new AppError('ERR_CSR_MALFORMED', e.message, { cause: e });
    throw e;
  }
  const { csr, alg, sig, material } = parsed;
  let pub: KeyObject;
  try {
    pub = importKey(csr.key, material, csr.spkiDer);
  } catch (e) {
    throw new AppError('ERR_CSR_MALFORMED', 'invalid public key', { cause: e });
  }
  let ok = false;
  try {
    const pss = { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength };
    ok = verify(alg.hash, csr.infoDer, alg.saltLength === undefined ? pub : pss, sig);
  } catch (e) {
    throw new AppError('ERR_CSR_SIGNATURE', 'signature verification failed', { cause: e });
  }
  if (!ok) throw sigErr('signature verification failed');
  return csr;
}

const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

/** A ParsedCsr whose byte fields are Buffers again after a structured clone (worker threads). */
export function withBuffers(c: ParsedCsr): ParsedCsr {
  return { ...c, der: asBuffer(c.der), infoDer: asBuffer(c.infoDer), subjectDer: asBuffer(c.subjectDer), spkiDer: asBuffer(c.spkiDer), extensions: c.extensions.map((e) => ({ ...e, valueDer: asBuffer(e.valueDer) })) };
}
