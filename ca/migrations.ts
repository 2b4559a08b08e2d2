/**
 * CA tables. Serial numbers are stored as lowercase hex (no leading zeros), UNIQUE per issuer,
 * reserved before signing. Times used in range queries are epoch seconds.
 */
import type { Migration } from '../platform/db/migrate.ts';

export const caMigrations: Migration[] = [
  {
    name: 'ca_001_init',
    async up(db) {
      await db.schema.createTable('ca_issuers', (t) => {
        t.string('id', 64).primary();
        t.text('subject').notNullable();
        t.binary('cert_der').notNullable();
        t.text('chain_der_b64').notNullable(); // JSON array of base64 DER, issuer's parents up to the root
        t.string('ski', 64).notNullable();
        t.string('key_algorithm', 16).notNullable();
        t.text('key_file').notNullable();
        t.string('status', 16).notNullable(); // active | retiring | retired
        t.bigInteger('not_before').notNullable();
        t.bigInteger('not_after').notNullable();
        t.string('created_at', 32).notNullable();
      });
      await db.schema.createTable('ca_certificates', (t) => {
        t.string('issuer_id', 64).notNullable().references('id').inTable('ca_issuers');
        t.string('serial', 42).notNullable();
        t.string('state', 16).notNullable(); // reserved | issued | revoked
        t.string('profile', 64).notNullable();
        t.string('device_id', 128).nullable().index();
        t.text('subject').notNullable();
        t.text('sans').notNullable(); // JSON SanSpec
        t.bigInteger('not_before').nullable();
        t.bigInteger('not_after').nullable().index();
        t.binary('der').nullable();
        t.string('fingerprint', 64).nullable().index(); // sha256 hex of DER
        t.string('spki_sha256', 64).nullable().index();
        t.bigInteger('reserved_at').notNullable();
        t.bigInteger('issued_at').nullable();
        t.bigInteger('revoked_at').nullable().index();
        t.string('revocation_reason', 32).nullable();
        t.bigInteger('invalidity_date').nullable();
        /** When a certificateHold was released (delta CRLs list it as removeFromCRL). */
        t.bigInteger('hold_released_at').nullable();
        t.string('actor', 256).notNullable();
        t.primary(['issuer_id', 'serial']);
        t.index(['issuer_id', 'state']);
      });
      await db.schema.createTable('ca_crl_state', (t) => {
        t.string('issuer_id', 64).primary().references('id').inTable('ca_issuers');
        /** Last CRL number handed out (full and delta share one sequence, RFC 5280 §5.2.3). */
        t.bigInteger('last_number').notNullable().defaultTo(0);
        t.bigInteger('last_full_number').nullable();
      });
      await db.schema.createTable('ca_crls', (t) => {
        t.string('issuer_id', 64).notNullable().references('id').inTable('ca_issuers');
        t.bigInteger('number').notNullable();
        t.boolean('delta').notNullable();
        t.bigInteger('base_number').nullable();
        t.bigInteger('this_update').notNullable();
        t.bigInteger('next_update').notNullable();
        t.integer('entries').notNullable();
        t.binary('der').notNullable();
        t.primary(['issuer_id', 'number']);
      });
    },
  },
];
