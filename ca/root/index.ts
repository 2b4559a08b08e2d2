/**
 * ca/root: the offline root ceremony (create the root, certify issuing CAs, publish the root
 * CRL). Imported by the CLI's ceremony commands only: the online service (ca/service.ts,
 * ca/issue.ts) never imports this folder, so no path from `gatehouse serve` reaches a root key.
 * Rules: see each module's header (RFC 5280 §4.2.1.9/.10, §5).
 */
export { createRoot, type CreateRootInput, type CreatedRoot, type RootAlgorithm } from './create-root.ts';
export { signIssuing, type SignIssuingInput, type SignedIssuing } from './sign-issuing.ts';
export { rootCrl, type RootCrl, type RootCrlInput, type RootRevocation } from './root-crl.ts';
export { readLedger as readRootRevocations, revokedFile, type LedgerEntry as RootLedgerEntry } from './revoked.ts';
export { nameConstraints, type NameConstraintsInput } from './name-constraints.ts';
export { loadRoot, rootFiles, type LoadedRoot } from './files.ts';
