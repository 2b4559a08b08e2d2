/**
 * What this SCEP server supports: the GetCACaps text and the algorithm tables behind it.
 *
 * Rules enforced:
 * - GetCACaps (RFC 8894 §3.5.2) lists everything we support, one keyword per line ("\n"), so
 *   clients do not fall back to DES/MD5: POSTPKIOperation, SHA-256, SHA-512, AES, SCEPStandard
 *   and Renewal (macOS only sends RenewalReq when "Renewal" is listed). SCEPStandard implies
 *   AES + POSTPKIOperation + SHA-256 (RFC 8894 §3.5.2).
 * - Digests accepted on requests: SHA-1 (legacy clients that ignore GetCACaps, e.g. micromdm
 *   scepclient 2.1), SHA-224/256/384/512. MD5 is never accepted (RFC 8894 §3.5.2 deprecates it).
 * - Content encryption accepted on requests (RFC 8894 §3.2.2): AES-128/192/256-CBC and
 *   DES-EDE3-CBC; single DES-CBC only when the caller opts in (`allowDesCbc`), because a 56-bit
 *   key protects the challenge password inside the envelope. We never *send* single DES.
 * - Content types of the HTTP bindings (RFC 8894 §4.2–§4.4) live here so the router does not
 *   hard-code them.
 */

export const SCEP_CAPABILITIES = ['POSTPKIOperation', 'SHA-256', 'SHA-512', 'AES', 'SCEPStandard', 'Renewal'] as const;
export type ScepCapability = (typeof SCEP_CAPABILITIES)[number];

/** The GetCACaps response body (RFC 8894 §3.5.2), content type text/plain. */
export function getCaCapsText(caps: readonly string[] = SCEP_CAPABILITIES): string {
  return caps.join('\n') + '\n';
}

export const SCEP_CONTENT_TYPES = {
  /** GetCACert with a single CA certificate (RFC 8894 §4.2.1.1). */
  caCert: 'application/x-x509-ca-cert',
  /** GetCACert with RA + CA certificates in a degenerate PKCS#7 (RFC 8894 §4.2.1.2). */
  caRaCert: 'application/x-x509-ca-ra-cert',
  /** PKIOperation request and CertRep (RFC 8894 §4.3, §4.4). */
  pkiMessage: 'application/x-pki-message',
  caps: 'text/plain',
} as const;

export type ScepDigest = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Digest AlgorithmIdentifier OID → Node hash name. */
export const DIGEST_BY_OID: Readonly<Record<string, ScepDigest>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export const DIGEST_OID: Readonly<Record<ScepDigest, string>> = {
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const OID_RSAES_OAEP = '1.2.840.113549.1.1.7';
export const OID_MGF1 = '1.2.840.113549.1.1.8';

/** Signature OIDs accepted on a SignerInfo: rsaEncryption (digest from digestAlgorithm) or
 *  <hash>WithRSAEncryption, whose hash must then equal the digestAlgorithm (RFC 5652 §5.3). */
export const RSA_SIG_HASH_BY_OID: Readonly<Record<string, ScepDigest | null>> = {
  [OID_RSA_ENCRYPTION]: null,
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

export type ContentEncryption = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'des-ede3-cbc' | 'des-cbc';

export interface CipherSpec {
  readonly name: ContentEncryption;
  readonly oid: string;
  readonly keyLen: number;
  readonly ivLen: number;
}

export const CIPHERS: readonly CipherSpec[] = [
  { name: 'aes-128-cbc', oid: '2.16.840.1.101.3.4.1.2', keyLen: 16, ivLen: 16 },
  { name: 'aes-192-cbc', oid: '2.16.840.1.101.3.4.1.22', keyLen: 24, ivLen: 16 },
  { name: 'aes-256-cbc', oid: '2.16.840.1.101.3.4.1.42', keyLen: 32, ivLen: 16 },
  { name: 'des-ede3-cbc', oid: '1.2.840.113549.3.7', keyLen: 24, ivLen: 8 },
  { name: 'des-cbc', oid: '1.3.14.3.2.7', keyLen: 8, ivLen: 8 },
];

export const cipherByOid = (o: string): CipherSpec | undefined => CIPHERS.find((c) => c.oid === o);
export const cipherByName = (n: ContentEncryption): CipherSpec | undefined => CIPHERS.find((c) => c.name === n);
