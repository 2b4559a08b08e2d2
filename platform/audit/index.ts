export { AuditLog, verifyAuditDb, loadAuditKeys, type AuditInput, type AuditOptions } from './audit-log.ts';
export { exportAudit, verifyAuditExport } from './export.ts';
export { auditMigrations } from './migrations.ts';
export { auditStore } from './store.ts';
export { canonicalJson } from './canonical.ts';
export { ChainVerifier, entryHash, GENESIS, type AuditEntry, type Checkpoint, type VerifyResult } from './chain.ts';
