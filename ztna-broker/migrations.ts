/**
 * Broker tables (all prefixed `broker_`).
 *
 * Rules enforced by the shapes:
 * - Secrets handed to browsers (session tokens, login ids, hand-off codes) are stored only as
 *   SHA-256 hashes: a database dump does not let anyone act as a session.
 * - A session is bound to one client certificate (cert_fp, issuer id, serial) for its life.
 * - TOTP secrets are stored encrypted with the last accepted time step (replay guard,
 *   RFC 6238 §5.2); WebAuthn credentials keep their signature counter (WebAuthn L2 §6.1.1).
 * - JIT requests and their decisions are separate rows so that dual control (requester never
 *   approves) is checkable and auditable; grants are bounded by not_before/not_after.
 * - Second-factor failures are counted per user (not per session) in broker_mfa_failures.
 * - Times are epoch MILLISECONDS in bigInteger columns.
 */
import type { Migration } from '../platform/db/migrate.ts';

export const brokerMigrations: Migration[] = [
  {
    name: 'broker_001_init',
    async up(db) {
      await db.schema.createTable('broker_sessions', (t) => {
        t.string('id', 64).primary();
        t.string('user_sub', 256).notNullable().index();
        t.string('user_email', 320).notNullable();
        t.text('user_groups').notNullable(); // JSON array
        t.text('idp_amr').notNullable(); // JSON array
        t.string('cert_fp', 64).notNullable().index();
        t.string('cert_issuer_id', 64).notNullable();
        t.string('cert_serial', 42).notNullable();
        t.string('stage', 8).notNullable(); // mfa | active
        t.string('mfa_method', 16).nullable();
        t.bigInteger('mfa_at').nullable(); // epoch SECONDS (auth_time semantics)
        t.string('csrf', 64).notNullable();
        t.text('pending').nullable(); // JSON: webauthn challenge, return-to
        t.bigInteger('created_at').notNullable();
        t.bigInteger('last_seen_at').notNullable();
        t.bigInteger('expires_at').notNullable().index();
      });
      await db.schema.createTable('broker_session_tokens', (t) => {
        t.string('token_hash', 64).primary();
        t.string('session_id', 64).notNullable().index();
        t.string('host', 253).notNullable();
        t.bigInteger('created_at').notNullable();
      });
      await db.schema.createTable('broker_login_states', (t) => {
        t.string('id_hash', 64).primary();
        t.string('state', 128).notNullable();
        t.string('nonce', 128).notNullable();
        t.string('code_verifier', 128).notNullable();
        t.text('return_to').notNullable();
        t.string('cert_fp', 64).notNullable();
        t.string('purpose', 16).notNullable(); // login | stepup
        t.bigInteger('expires_at').notNullable().index();
      });
      await db.schema.createTable('broker_handoffs', (t) => {
        t.string('code_hash', 64).primary();
        t.string('session_id', 64).notNullable();
        t.string('host', 253).notNullable();
        t.text('return_path').notNullable();
        t.string('cert_fp', 64).notNullable();
        t.bigInteger('expires_at').notNullable().index();
      });
      await db.schema.createTable('broker_totp', (t) => {
        t.string('user_sub', 256).primary();
        t.text('secret_enc').notNullable();
        t.boolean('confirmed').notNullable();
        t.bigInteger('last_step').notNullable(); // last accepted RFC 6238 time step, -1 = none
        t.bigInteger('created_at').notNullable();
      });
      await db.schema.createTable('broker_webauthn_credentials', (t) => {
        t.string('id', 512).primary(); // credential id, base64url
        t.string('user_sub', 256).notNullable().index();
        t.text('public_key').notNullable(); // COSE key, base64url
        t.bigInteger('counter').notNullable();
        t.text('transports').notNullable(); // JSON array
        t.bigInteger('created_at').notNullable();
        t.bigInteger('last_used_at').nullable();
      });
      await db.schema.createTable('broker_cert_mappings', (t) => {
        t.string('cert_fp', 64).primary();
        t.string('user', 320).notNullable(); // e-mail (case-insensitive) or OIDC sub (exact)
        t.string('created_by', 256).notNullable();
        t.bigInteger('created_at').notNullable();
      });
      await db.schema.createTable('broker_jit_requests', (t) => {
        t.string('id', 64).primary();
        t.string('route_id', 64).notNullable();
        t.string('requester_sub', 256).notNullable().index();
        t.string('requester_email', 320).notNullable();
        t.text('reason').notNullable();
        t.bigInteger('not_before').notNullable();
        t.bigInteger('not_after').notNullable().index();
        t.string('status', 16).notNullable().index(); // pending | approved | rejected
        t.bigInteger('created_at').notNullable();
      });
      await db.schema.createTable('broker_jit_approvals', (t) => {
        t.string('request_id', 64).notNullable().index();
        t.string('approver_sub', 256).notNullable();
        t.string('approver_email', 320).notNullable();
        t.string('decision', 16).notNullable(); // approve | reject
        t.bigInteger('decided_at').notNullable();
        t.primary(['request_id', 'approver_sub']);
      });
    },
  },
  {
    name: 'broker_002_mfa_failures',
    async up(db) {
      // per-user second-factor failures across sessions and nodes (authn/throttle.ts)
      await db.schema.createTable('broker_mfa_failures', (t) => {
        t.string('user_sub', 256).primary();
        t.integer('failures').notNullable();
        t.bigInteger('window_start').notNullable();
        t.bigInteger('locked_until').nullable();
      });
    },
  },
];
