/** Audit tables: the chain, its head (one row, locked per append), checkpoints, signing keys. */
import type { Migration } from '../db/migrate.ts';

export const auditMigrations: Migration[] = [
  {
    name: 'platform_001_audit',
    async up(db) {
      await db.schema.createTable('audit_log', (t) => {
        t.bigInteger('seq').primary();
        t.string('ts', 32).notNullable();
        t.string('node', 128).notNullable();
        t.string('actor', 256).notNullable();
        t.string('action', 128).notNullable().index();
        t.string('target', 256).nullable().index();
        t.text('data').notNullable();
        t.string('prev_hash', 64).notNullable();
        t.string('hash', 64).notNullable();
      });
      await db.schema.createTable('audit_head', (t) => {
        t.integer('id').primary();
        t.bigInteger('seq').notNullable();
        t.string('hash', 64).notNullable();
        t.bigInteger('checkpoint_seq').notNullable().defaultTo(0);
        t.string('checkpoint_ts', 32).nullable();
      });
      await db('audit_head').insert({ id: 1, seq: 0, hash: '0'.repeat(64), checkpoint_seq: 0 });
      await db.schema.createTable('audit_checkpoints', (t) => {
        t.bigInteger('seq').primary();
        t.string('hash', 64).notNullable();
        t.string('ts', 32).notNullable();
        t.string('key_id', 64).notNullable();
        t.text('signature').notNullable();
      });
      await db.schema.createTable('audit_keys', (t) => {
        t.string('key_id', 64).primary();
        t.text('public_pem').notNullable();
        t.string('created_at', 32).notNullable();
      });
    },
  },
];
