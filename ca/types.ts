/**
 * The CA's vocabulary, shared by issuance, revocation, CRL, OCSP and every caller.
 * Callers talk to the CA in these words only; the CA never learns which protocol asked.
 */
import type { Signer } from '../platform/crypto.ts';
import type { ParsedCsr } from './csr.ts';

export const PROFILE_NAMES = ['device-tls', 'radius-server', 'admin-client', 'ocsp-responder', 'scep-ra'] as const;
export type BuiltinProfileName = (typeof PROFILE_NAMES)[number];

/** A distinguished name as the inventory knows it (encoded by ca/asn1/names.ts). */
export interface SubjectSpec {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  state?: string;
  locality?: string;
  serialNumber?: string;
}

export interface SanSpec {
  dns?: string[];
  uri?: string[];
  email?: string[];
  ip?: string[];
}

/**
 * What an authorizer (enrollment, CLI, broker admin) allows: the profile, the names and the
 * validity. Subject and SANs come from here, never from the CSR (the CSR proves key possession).
 */
export interface Grant {
  profile: string;
  subject: SubjectSpec;
  sans?: SanSpec;
  /** Requested validity; capped by the profile's maximum and the issuer's notAfter. */
  validityDays?: number;
  /** Add serverAuth to device-tls (e.g. devices that also serve TLS). */
  serverAuth?: boolean;
  deviceId?: string | null;
  /** Who authorized this issuance, for the audit log (e.g. `est:token:dev-42`, `cli:alice`). */
  actor: string;
  /** Issue from this issuer instead of the active one (tests, rollover drills). */
  issuerId?: string;
  /**
   * Runs inside the transaction that reserves the serial (e.g. consuming a one-time enrollment
   * token): if it throws, nothing is reserved and issue() fails with its error.
   */
  onReserve?: (trx: import('../platform/db/index.ts').Tx, serial: string) => Promise<void>;
  /**
   * Runs inside the transaction that stores the signed certificate (e.g. recording a protocol
   * transaction's outcome with it). A throw fails the store: the serial stays reserved.
   */
  onStore?: (trx: import('../platform/db/index.ts').Tx, issuerId: string, serial: string) => Promise<void>;
}

export interface IssuedCert {
  issuerId: string;
  /** Lowercase hex of the positive serial number, no leading zeros. */
  serial: string;
  der: Buffer;
  notBefore: Date;
  notAfter: Date;
  profile: string;
  /** Issuing CA certificate(s) up to, not including, the root. */
  chain: Buffer[];
}

/** RFC 5280 §5.3.1 CRLReason (7 is unused). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export type CertState = 'reserved' | 'issued' | 'revoked';

export interface CertRecord {
  issuerId: string;
  serial: string;
  state: CertState;
  profile: string;
  deviceId: string | null;
  subject: string;
  sans: SanSpec;
  notBefore: Date | null;
  notAfter: Date | null;
  der: Buffer | null;
  fingerprint: string | null;
  reservedAt: Date;
  issuedAt: Date | null;
  revokedAt: Date | null;
  revocationReason: RevocationReason | null;
  invalidityDate: Date | null;
}

/** Live status as OCSP, RADIUS and the broker need it. 'unknown' must be treated as deny. */
export type CertStatus =
  | { state: 'good'; record: CertRecord }
  | { state: 'revoked'; revokedAt: Date; reason: RevocationReason; record: CertRecord }
  | { state: 'unknown' };

export type IssuerStatus = 'active' | 'retiring' | 'retired';

export interface IssuerRecord {
  id: string;
  subject: string;
  certDer: Buffer;
  /** Certificates above the issuer up to and including the root (for chains and /cacerts). */
  chainDer: Buffer[];
  ski: Buffer;
  keyAlgorithm: string;
  keyFile: string;
  status: IssuerStatus;
  notBefore: Date;
  notAfter: Date;
}

/** An issuer with its key unlocked, ready to sign. */
export interface LoadedIssuer {
  record: IssuerRecord;
  signer: Signer;
  /** Raw DER of the issuer's subject Name (the issuer field of what it signs). */
  nameDer: Buffer;
  /** OCSP CertID hashes (RFC 6960 §4.1.1) for SHA-1 and SHA-256. */
  nameHash: { sha1: Buffer; sha256: Buffer };
  keyHash: { sha1: Buffer; sha256: Buffer };
}

export interface RevokeOptions {
  actor: string;
  /** Defaults to the active issuer, then any issuer holding that serial. */
  issuerId?: string;
  invalidityDate?: Date;
}

export interface RevocationResult {
  issuerId: string;
  serial: string;
  reason: RevocationReason;
  revokedAt: Date;
  deviceId: string | null;
}

/**
 * The CA as every other part sees it (enrollment, RADIUS, broker, CLI, CRL, OCSP).
 * Implemented by ca/service.ts.
 */
export interface CertificateAuthority {
  /** Verify CSR (PoP + key policy) -> reserve serial + audit -> build -> lint -> sign -> store -> return. */
  issue(csrDer: Buffer, grant: Grant): Promise<IssuedCert>;
  /** parseCsr() (structure, PoP, key policy) off the main thread when workers run; same errors. */
  verifyCsr(csrDer: Buffer): Promise<ParsedCsr>;
  /** RFC 5280 reasons; certificateHold can later be released with reason removeFromCRL. */
  revoke(serial: string, reason: RevocationReason, opts: RevokeOptions): Promise<RevocationResult>;
  /** Live status from the store; throws ERR_STORE_* when the store cannot answer (callers deny). */
  status(issuerId: string, serial: string): Promise<CertStatus>;
  /** Status of a presented certificate (chain checked by the caller): looks up issuer by AKI/name. */
  statusOfCert(certDer: Buffer): Promise<CertStatus>;
  getCert(issuerId: string, serial: string): Promise<CertRecord | null>;
  listCerts(filter: { deviceId?: string; state?: CertState; profile?: string; limit?: number; offset?: number }): Promise<CertRecord[]>;
  activeIssuer(): LoadedIssuer;
  issuers(): readonly LoadedIssuer[];
  issuer(id: string): LoadedIssuer | undefined;
  /** DER of the trust chain for clients: active issuer first, then its parents up to the root. */
  caCertificates(): Buffer[];
}
