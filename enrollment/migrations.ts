/**
 * Enrollment tables: segments, devices (+ their MAC addresses for MAB lookups), one-time
 * enrollment tokens (stored hashed), pending approval requests, SCEP transactions.
 */
import type { Migration } from '../platform/db/migrate.ts';

export const enrollmentMigrations: Migration[] = [
  {
    name: 'enroll_001_inventory',
    async up(db) {
      await db.schema.createTable('inv_segments', (t) => {
        t.string('name', 64).primary();
        t.integer('vlan_id').notNullable();
        t.text('description').notNullable().defaultTo('');
        t.text('flows').notNullable().defaultTo('[]'); // JSON: [{ to, ports, protocol, purpose }]
        t.string('created_at', 32).notNullable();
        t.string('updated_at', 32).notNullable();
      });
      await db.schema.createTable('inv_devices', (t) => {
        t.string('id', 128).primary();
        t.string('name', 256).notNullable();
        t.string('function', 64).notNullable();
        t.string('owner', 256).notNullable();
        t.string('location', 256).notNullable().defaultTo('');
        t.string('risk_tier', 16).notNullable();
        t.string('segment', 64).notNullable().references('name').inTable('inv_segments');
        t.string('manufacturer', 256).nullable();
        t.string('model', 256).nullable();
        t.string('idevid_serial', 256).nullable().unique();
        t.string('firmware_version', 64).nullable();
        t.string('dns_name', 253).nullable();
        t.boolean('mab_only').notNullable().defaultTo(false);
        t.string('state', 16).notNullable().index();
        t.string('registered_at', 32).notNullable();
        t.string('approved_at', 32).nullable();
        t.string('enrolled_at', 32).nullable();
        t.string('quarantined_at', 32).nullable();
        t.string('retired_at', 32).nullable();
        t.string('updated_at', 32).notNullable();
        t.string('firmware_updated_at', 32).nullable();
      });
      await db.schema.createTable('inv_device_macs', (t) => {
        t.string('mac', 17).primary(); // aa:bb:cc:dd:ee:ff
        t.string('device_id', 128).notNullable().references('id').inTable('inv_devices').onDelete('CASCADE').index();
      });
      await db.schema.createTable('enroll_tokens', (t) => {
        t.string('hash', 64).primary(); // sha256 hex of the token
        t.string('device_id', 128).notNullable().references('id').inTable('inv_devices').index();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('expires_at').notNullable();
        t.bigInteger('used_at').nullable();
        t.string('used_serial', 42).nullable();
        t.bigInteger('revoked_at').nullable();
      });
      await db.schema.createTable('enroll_requests', (t) => {
        t.string('id', 64).primary();
        t.string('device_id', 128).nullable().index();
        t.string('protocol', 8).notNullable(); // est | scep
        t.string('label', 64).nullable();
        t.string('claimed_identity', 256).notNullable(); // what the device said it is (CN / MAC)
        t.binary('csr_der').notNullable();
        t.string('csr_fingerprint', 64).notNullable().index();
        t.string('status', 16).notNullable(); // pending | approved | rejected | issued
        t.string('decided_by', 256).nullable();
        t.string('issued_serial', 42).nullable();
        t.string('issuer_id', 64).nullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('decided_at').nullable();
      });
    },
  },
];
