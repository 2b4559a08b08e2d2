/**
 * Object identifiers the CA understands, as dotted strings (X.660), with display names.
 *
 * Rules:
 * - One source of truth for every OID used by ca/: never spell an OID inline elsewhere.
 * - Signature algorithms: RFC 5758 §3.2 (ECDSA), RFC 4055 §5 / RFC 8017 App. C (RSA PKCS#1 v1.5,
 *   RSASSA-PSS), RFC 8410 §3 (Ed25519). SHA-1 is listed only so that it can be named and refused.
 * - Key algorithms and named curves: RFC 5480 §2.1.1 (id-ecPublicKey, secp256r1/384r1/521r1),
 *   RFC 3279 §2.3.1 (rsaEncryption), RFC 8410 §3 (id-Ed25519).
 * - Extensions: RFC 5280 §4.2 (certificate) and §5.2/§5.3 (CRL and CRL entry); AIA §4.2.2.1.
 * - OCSP: RFC 6960 §4.2.1 (id-pkix-ocsp-basic), §4.2.2.2.1 (nocheck), RFC 8954 (nonce).
 * - CSR attributes: RFC 2985 §5.4 (challengePassword, extensionRequest).
 * - DN attribute types: RFC 4519 §2 / RFC 5280 App. A; short names for display per RFC 4514 §3.
 */

export const OID = {
  // hashes
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // signature algorithms
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  // public key algorithms and curves
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  // certificate extensions (RFC 5280 §4.2)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  anyPolicy: '2.5.29.32.0',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0',
  freshestCRL: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  // CRL and CRL entry extensions (RFC 5280 §5.2, §5.3)
  cRLNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  // extended key usages (RFC 5280 §4.2.1.12)
  kpServerAuth: '1.3.6.1.5.5.7.3.1',
  kpClientAuth: '1.3.6.1.5.5.7.3.2',
  kpEmailProtection: '1.3.6.1.5.5.7.3.4',
  kpOCSPSigning: '1.3.6.1.5.5.7.3.9',
  // OCSP (RFC 6960) and access descriptions (RFC 5280 §4.2.2.1)
  pkixOcsp: '1.3.6.1.5.5.7.48.1',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  // PKCS#9 attributes (RFC 2985)
  emailAddress: '1.2.840.113549.1.9.1',
  challengePassword: '1.2.840.113549.1.9.7',
  extensionRequest: '1.2.840.113549.1.9.14',
  // DN attribute types (RFC 4519)
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  streetAddress: '2.5.4.9',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  domainComponent: '0.9.2342.19200300.100.1.25',
  userId: '0.9.2342.19200300.100.1.1',
} as const;

export type OidName = keyof typeof OID;

/** Short names used when a Name is shown as a string (RFC 4514 §3, plus OpenSSL's emailAddress). */
export const DN_SHORT_NAMES: Readonly<Record<string, string>> = {
  [OID.commonName]: 'CN',
  [OID.surname]: 'SN',
  [OID.serialNumber]: 'serialNumber',
  [OID.countryName]: 'C',
  [OID.localityName]: 'L',
  [OID.stateOrProvinceName]: 'ST',
  [OID.streetAddress]: 'STREET',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.title]: 'title',
  [OID.givenName]: 'GN',
  [OID.domainComponent]: 'DC',
  [OID.userId]: 'UID',
  [OID.emailAddress]: 'emailAddress',
};

const NAMES = new Map<string, string>();
for (const [name, dotted] of Object.entries(OID)) if (!NAMES.has(dotted)) NAMES.set(dotted, name);
// id-pkix-ocsp and id-ad-ocsp share an arc; show the access-method name
NAMES.set(OID.adOcsp, 'adOcsp');

/** The symbolic name of a known OID (e.g. 'ecdsaWithSHA256'), or the dotted form itself. */
export function oidName(dotted: string): string {
  return NAMES.get(dotted) ?? dotted;
}
