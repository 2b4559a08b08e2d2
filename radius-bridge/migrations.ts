/**
 * RADIUS tables (prefix radius_): live accounting sessions and CoA/Disconnect attempts.
 *
 * Rules:
 * - radius_sessions: one row per live session, keyed by (NAS, Acct-Session-Id) (RFC 2866 §5.5:
 *   the id is unique per NAS); it holds what RFC 5176 §3 needs to address a Disconnect/CoA (NAS
 *   address, NAS-IP/Identifier, NAS-Port, Calling-Station-Id, User-Name) plus the device.
 * - radius_coa_attempts: one row per (session, trigger); the unique key is the cross-node claim,
 *   so of several nodes hearing the same event only one sends the request.
 * - Times are epoch milliseconds (bigint), portable across SQLite and PostgreSQL.
 */
import type { Migration } from '../platform/db/index.ts';

export const radiusMigrations: Migration[] = [
  {
    name: 'radius_001_init',
    async up(db) {
      await db.schema.createTable('radius_sessions', (t) => {
        t.string('nas_name', 64).notNullable();
        t.string('acct_session_id', 253).notNullable();
        t.string('nas_address', 64).notNullable();
        t.string('nas_ip', 64).nullable();
        t.string('nas_identifier', 253).nullable();
        t.bigInteger('nas_port').nullable();
        t.string('nas_port_id', 253).nullable();
        t.string('mac', 17).nullable().index();
        t.string('calling_station_id', 253).nullable();
        t.string('user_name', 253).nullable();
        t.string('device_id', 128).nullable().index();
        t.string('node_id', 128).notNullable();
        t.bigInteger('started_at').notNullable();
        t.bigInteger('updated_at').notNullable().index();
        t.bigInteger('input_octets').notNullable().defaultTo(0);
        t.bigInteger('output_octets').notNullable().defaultTo(0);
        t.bigInteger('session_time').notNullable().defaultTo(0);
        t.primary(['nas_name', 'acct_session_id']);
      });
      await db.schema.createTable('radius_coa_attempts', (t) => {
        t.increments('id').primary();
        t.string('nas_name', 64).notNullable();
        t.string('acct_session_id', 253).notNullable();
        t.string('device_id', 128).nullable().index();
        t.string('trigger', 200).notNullable();
        t.string('mode', 24).notNullable();
        t.string('destination', 80).notNullable();
        t.string('status', 16).notNullable(); // pending | ack | nak | timeout | error
        t.integer('attempts').notNullable().defaultTo(0);
        t.integer('error_cause').nullable();
        t.string('node_id', 128).notNullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('finished_at').nullable();
        t.unique(['nas_name', 'acct_session_id', 'trigger']);
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists('radius_coa_attempts');
      await db.schema.dropTableIfExists('radius_sessions');
    },
  },
];
