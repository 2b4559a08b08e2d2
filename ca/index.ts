/**
 * ca: the certificate authority — issuance, revocation, status, issuers, profiles, lint.
 * Other folders import ca/ only through this file (and the CLI's ceremony commands through
 * ca/root/index.ts; CRL and OCSP through ca/crl/index.ts and ca/ocsp/index.ts).
 *
 * Rules: the online API exported here never reaches ca/root/ (ARCHITECTURE.md: no path from
 * `gatehouse serve` to the root key). Each module's header lists the RFC 5280 rules it enforces.
 */
export * from './types.ts';
export { caMigrations } from './migrations.ts';
export { CaService, type CaServiceOptions } from './service.ts';
export type { IssueHooks } from './issue.ts';
export { registerIssuer, loadIssuers, retireExpired, issuerIdOf, issuerRecordOf, toLoadedIssuer, type RegisterIssuerInput } from './issuers.ts';
export { createIssuingKeyAndCsr, type IssuingKeyAlgorithm, type IssuingKeyInput, type IssuingKeyResult } from './issuing-key.ts';
export { statusOfRecord, issuerOfCert } from './status.ts';
export type { CertFilter } from './store.ts';
export {
  resolveProfiles,
  getProfile,
  applyProfile,
  keyPolicyFor,
  keyTypeOf,
  BUILTIN_PROFILES,
  type Profile,
  type ProfileOverride,
  type ProfileSet,
  type AppliedProfile,
} from './profiles/index.ts';
export { lintTbs, assertLint, LINT_RULES, type Finding, type LintContext } from './lint/index.ts';
export { buildTbs, tbsFromParts, signCertificate, assembleCertificate, signatureAlgorithmFor, encodeValidity, encodeExtensions, type TbsInput } from './cert-builder.ts';
export { parseCertificate, parseTbs, findExtension, akiKeyId, type ParsedCertificate, type ParsedTbs, type ParsedExtension } from './cert-parse.ts';
export * as certExtensions from './extensions.ts';
export type { CertExtension } from './extensions.ts';
export { newSerial, normalizeSerial, serialHex, serialBytes, type Serial } from './serial.ts';
export { parseCsr, checkKeyPolicy, describeSpki, subjectKeyIdentifier, CSR_MAX_BYTES, type ParsedCsr, type KeyInfo, type KeyPolicy } from './csr.ts';
export { buildCsr, buildCsrInfo, type CsrInput } from './csr-builder.ts';
export { listIssuerRecords } from './issuer-list.ts';
