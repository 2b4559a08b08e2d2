/**
 * SCEP transaction table (enroll_002_scep), registered by the composition root after
 * enroll_001_inventory.
 *
 * Rules the schema enforces:
 * - One row per (transactionID, scope) (RFC 8894 §3.2.1.1: the transactionID names one
 *   transaction; a client MUST reuse it when it retries or polls). scope is `enroll` for PKCSReq
 *   and `renew:<sha256 of the signer certificate>` for RenewalReq, because clients derive the
 *   transactionID from the key (micromdm: base64 SKI) and keep the key when they renew.
 *   The primary key makes two racing first requests resolve to one owner.
 * - status is pending | success | failure; a pending row with request_id waits for an admin
 *   (onboarding enroll_requests). lease_until marks a row some worker is processing (first
 *   request, takeover or resume); an expired lease (crash) may be taken over.
 * - The CSR is kept so a CertPoll can resume a pending request (RFC 8894 §3.3.3); fingerprints
 *   are SHA-256 hex; times are epoch milliseconds.
 */
import type { Migration } from '../../platform/db/migrate.ts';

export const scepMigrations: Migration[] = [
  {
    name: 'enroll_002_scep',
    async up(db) {
      await db.schema.createTable('scep_transactions', (t) => {
        t.string('transaction_id', 128).notNullable();
        t.string('scope', 80).notNullable();
        t.integer('message_type').notNullable();
        t.string('signer_fp', 64).notNullable(); // sha256 of the signer certificate DER
        t.string('signer_key_fp', 64).notNullable(); // sha256 of the signer SubjectPublicKeyInfo
        t.string('csr_fp', 64).notNullable();
        t.binary('csr_der').notNullable();
        t.string('label', 64).nullable();
        t.string('status', 16).notNullable(); // pending | success | failure
        t.string('issuer_id', 64).nullable();
        t.string('serial', 42).nullable();
        t.string('fail_info', 16).nullable();
        t.string('request_id', 64).nullable();
        t.bigInteger('lease_until').nullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
        t.primary(['transaction_id', 'scope']);
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists('scep_transactions');
    },
  },
];
