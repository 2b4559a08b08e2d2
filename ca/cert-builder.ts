/**
 * TBSCertificate and Certificate assembly on the owned DER writer (the hot issuance path; no
 * @peculiar/x509 here: it tops out near 450 certs/s).
 *
 * Rules enforced:
 * - RFC 5280 §4.1.2.1: version v3 (INTEGER 2 in [0] EXPLICIT) since extensions are present.
 * - §4.1.2.2: serial from the caller's unsigned magnitude, encoded as a positive INTEGER.
 * - §4.1.1.2 / §4.1.2.3: the same AlgorithmIdentifier in TBSCertificate.signature and
 *   Certificate.signatureAlgorithm, matching the issuer key and digest: ecdsa-with-SHA256/384/512
 *   with parameters absent (RFC 5758 §3.2), sha256/384/512WithRSAEncryption with NULL parameters
 *   (RFC 4055 §5), id-Ed25519 with parameters absent (RFC 8410 §3). One encoder for every
 *   signed object of the CA (certificates, CRLs, CSRs, OCSP responses).
 * - §4.1.2.4: issuer = the issuer certificate's subject Name, copied byte for byte.
 * - §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, whole seconds (asn1 time()).
 * - §4.1.2.7: subjectPublicKeyInfo copied verbatim from the CSR (its signature proved it).
 * - §4.1.2.9: extensions [3] EXPLICIT, in the caller's order, only when there is at least one.
 * - §4.1.1.3: signatureValue BIT STRING with no unused bits.
 */
import { defaultDigest, type DigestName, type KeyAlgorithm, type Signer } from '../platform/crypto.ts';
import { AppError } from '../platform/errors.ts';
import { bitString, explicit, integer, nullDer, oid, OID, seq, time } from './asn1/index.ts';
import { encodeExtension, type CertExtension } from './extensions.ts';

/**
 * The signature AlgorithmIdentifier DER for certificates, CRLs, CSRs and OCSP responses signed by a
 * key of `alg` with `digest` (default: the key's default digest, platform/crypto defaultDigest).
 */
export function signatureAlgorithmFor(alg: KeyAlgorithm, digest: DigestName | null = defaultDigest(alg)): Buffer {
  const d = digest ?? 'sha256';
  switch (alg) {
    case 'P-256':
    case 'P-384':
    case 'P-521':
      return d === 'sha384' ? SIG_ECDSA_384 : d === 'sha512' ? SIG_ECDSA_512 : SIG_ECDSA_256;
    case 'RSA-2048':
    case 'RSA-3072':
    case 'RSA-4096':
      return d === 'sha384' ? SIG_RSA_384 : d === 'sha512' ? SIG_RSA_512 : SIG_RSA_256;
    case 'Ed25519':
      return SIG_ED25519;
    default:
      throw new AppError('ERR_KEY_POLICY', `no signature algorithm for ${String(alg)}`);
  }
}
const SIG_ECDSA_256 = seq(oid(OID.ecdsaWithSHA256));
const SIG_ECDSA_384 = seq(oid(OID.ecdsaWithSHA384));
const SIG_ECDSA_512 = seq(oid(OID.ecdsaWithSHA512));
const SIG_RSA_256 = seq(oid(OID.sha256WithRSAEncryption), nullDer());
const SIG_RSA_384 = seq(oid(OID.sha384WithRSAEncryption), nullDer());
const SIG_RSA_512 = seq(oid(OID.sha512WithRSAEncryption), nullDer());
const SIG_ED25519 = seq(oid(OID.ed25519));

export interface TbsInput {
  /** Unsigned big-endian magnitude of the serial. */
  serial: Buffer;
  /** AlgorithmIdentifier DER (signatureAlgorithmFor(issuer key)). */
  signatureAlgorithm: Buffer;
  issuerDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  subjectDer: Buffer;
  spkiDer: Buffer;
  extensions: readonly CertExtension[];
}

/** Already-encoded TBSCertificate fields, for callers (tests, lint) that need odd encodings. */
export interface TbsParts {
  version?: Buffer;
  serial: Buffer;
  signatureAlgorithm: Buffer;
  issuerDer: Buffer;
  validity: Buffer;
  subjectDer: Buffer;
  spkiDer: Buffer;
  /** The [3] EXPLICIT Extensions wrapper, or undefined for none. */
  extensions?: Buffer;
}

const V3 = explicit(0, integer(2));

export function encodeValidity(notBefore: Date, notAfter: Date): Buffer {
  return seq(time(notBefore), time(notAfter));
}

export function encodeExtensions(exts: readonly CertExtension[]): Buffer | undefined {
  return exts.length === 0 ? undefined : explicit(3, seq(...exts.map(encodeExtension)));
}

export function tbsFromParts(p: TbsParts): Buffer {
  const fields = [p.version ?? V3, p.serial, p.signatureAlgorithm, p.issuerDer, p.validity, p.subjectDer, p.spkiDer];
  if (p.extensions) fields.push(p.extensions);
  return seq(...fields);
}

export function buildTbs(i: TbsInput): Buffer {
  return tbsFromParts({
    serial: integer(i.serial),
    signatureAlgorithm: i.signatureAlgorithm,
    issuerDer: i.issuerDer,
    validity: encodeValidity(i.notBefore, i.notAfter),
    subjectDer: i.subjectDer,
    spkiDer: i.spkiDer,
    extensions: encodeExtensions(i.extensions),
  });
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
export function assembleCertificate(tbsDer: Buffer, signatureAlgorithm: Buffer, signature: Buffer): Buffer {
  return seq(tbsDer, signatureAlgorithm, bitString(signature));
}

/** Signs a TBS with the issuer's Signer; the TBS must carry signatureAlgorithmFor(signer). */
export function signCertificate(signer: Signer, tbsDer: Buffer): Buffer {
  return assembleCertificate(tbsDer, signatureAlgorithmFor(signer.algorithm), signer.sign(tbsDer));
}
