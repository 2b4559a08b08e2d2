/**
 * The event bus: carries revocation and device-state events to the other parts of this process
 * and, on PostgreSQL, to every other node (LISTEN/NOTIFY on channel `gatehouse_events`).
 *
 * Rules:
 * - publish() after the change committed (or inside the transaction on PostgreSQL via notifyTx:
 *   NOTIFY is delivered only at commit, so a rolled-back change never announces itself).
 * - Local subscribers get every event once; remote events carry the origin node id and a
 *   node receiving its own NOTIFY ignores it.
 * - A failing handler is logged and never stops delivery to the others.
 * - If the LISTEN connection drops, it reconnects and emits `bus.resync` so subscribers can
 *   reload state they might have missed (fail closed until then is the subscriber's choice).
 * - On SQLite, other processes on the same file (a CLI `cert revoke` next to `serve`) are reached
 *   through the `gh_events` table: notifyTx inserts a row in the caller's transaction and a node
 *   that called attachDb(db, { poll: true }) reads new rows every pollMs (default 250 ms).
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from './log.ts';
import type { Db, Tx } from './db/index.ts';
import type { Migration } from './db/migrate.ts';

export const eventMigrations: Migration[] = [
  {
    name: 'platform_002_events',
    async up(db) {
      await db.schema.createTable('gh_events', (t) => {
        t.increments('id').primary();
        t.bigInteger('ts').notNullable();
        t.string('origin', 128).notNullable();
        t.string('topic', 64).notNullable();
        t.text('payload').notNullable();
      });
    },
  },
];

export interface GatehouseEvents {
  'cert.revoked': { issuerId: string; serial: string; reason: string; revokedAt: string; deviceId?: string | null };
  'cert.issued': { issuerId: string; serial: string; profile: string; deviceId?: string | null };
  'crl.published': { issuerId: string; crlNumber: string; delta: boolean };
  'device.changed': { deviceId: string; state: string; segment?: string | null };
  'broker.session.killed': { sessionId: string };
  'bus.resync': Record<string, never>;
}
export type Topic = keyof GatehouseEvents;
type Handler<T extends Topic> = (payload: GatehouseEvents[T]) => void | Promise<void>;

export class EventBus {
  private readonly emitter = new EventEmitter();
  private listener: pg.Client | null = null;
  private closed = false;
  private feedDb: Db | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  /** `channel` defaults to gatehouse_events; nodes sharing a PostgreSQL schema must share it. */
  constructor(
    private readonly nodeId: string,
    private readonly log: Logger,
    private readonly channel = 'gatehouse_events',
  ) {
    this.emitter.setMaxListeners(100);
  }

  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void {
    const wrapped = (p: GatehouseEvents[T]) => {
      try {
        const r = handler(p);
        if (r && typeof (r as Promise<void>).catch === 'function')
          (r as Promise<void>).catch((e) => this.log.error({ err: e, topic }, 'event handler failed'));
      } catch (e) {
        this.log.error({ err: e, topic }, 'event handler failed');
      }
    };
    this.emitter.on(topic, wrapped);
    return () => this.emitter.off(topic, wrapped);
  }

  /** Delivers locally now; other nodes get it through notifyTx (PostgreSQL) if the caller used it. */
  emitLocal<T extends Topic>(topic: T, payload: GatehouseEvents[T]): void {
    this.emitter.emit(topic, payload);
  }

  /**
   * Queues a cross-node/cross-process notification inside the caller's transaction: NOTIFY on
   * PostgreSQL, a gh_events row on SQLite when attachDb() was called (else nothing).
   */
  async notifyTx<T extends Topic>(trx: Tx, topic: T, payload: GatehouseEvents[T]): Promise<void> {
    if (trx.client.config.client === 'pg') {
      const msg = JSON.stringify({ o: this.nodeId, t: topic, p: payload });
      await trx.raw('select pg_notify(?, ?)', [this.channel, msg]);
      return;
    }
    if (!this.feedDb) return;
    await trx('gh_events').insert({ ts: Date.now(), origin: this.nodeId, topic, payload: JSON.stringify(payload) });
  }

  /** SQLite only: publish through gh_events, and (poll) deliver rows written by other processes. */
  async attachDb(db: Db, opts: { poll: boolean; pollMs?: number }): Promise<void> {
    if (db.client.config.client === 'pg') return;
    this.feedDb = db;
    if (!opts.poll) return;
    const row = (await db('gh_events').max({ m: 'id' }).first()) as { m: number | null } | undefined;
    let last = Number(row?.m ?? 0);
    let busy = false;
    let failing = false;
    const tick = async () => {
      if (busy || this.closed) return;
      busy = true;
      try {
        const rows = (await db('gh_events').where('id', '>', last).orderBy('id').limit(500)) as Array<{ id: number; origin: string; topic: Topic; payload: string; ts: number }>;
        for (const r of rows) {
          last = Number(r.id);
          if (r.origin !== this.nodeId) this.emitter.emit(r.topic, JSON.parse(r.payload));
        }
        if (failing) {
          failing = false;
          this.emitter.emit('bus.resync', {});
        }
        if (rows.length === 0 && Math.random() < 0.01) await db('gh_events').where('ts', '<', Date.now() - 3_600_000).delete();
      } catch (e) {
        if (!failing) this.log.warn({ err: e }, 'event feed poll failed');
        failing = true;
      } finally {
        busy = false;
      }
    };
    this.pollTimer = setInterval(() => void tick(), opts.pollMs ?? 250);
    this.pollTimer.unref();
  }

  /** Starts listening for other nodes' events (PostgreSQL only). */
  /**
   * Starts listening for other nodes' events (PostgreSQL only). The connection is probed every
   * heartbeatMs (a half-open TCP connection never says `end`); a failed probe, a dropped
   * connection or a failed (re)connect emits `bus.resync` at once so caches that depend on
   * other nodes' events drop what they hold, then it reconnects with backoff and resyncs again.
   */
  async listen(url: string, opts: { heartbeatMs?: number } = {}): Promise<void> {
    const heartbeatMs = opts.heartbeatMs ?? 5_000;
    let backoff = 250;
    const lost = (c: pg.Client, why: unknown) => {
      if (this.closed || this.listener !== c) return;
      this.listener = null;
      this.log.warn({ err: why }, 'event listener lost; resyncing and reconnecting');
      c.removeAllListeners('end');
      void c.end().catch(() => undefined);
      this.emitter.emit('bus.resync', {});
      const retry = () => {
        if (this.closed) return;
        connect()
          .then(() => {
            backoff = 250;
            this.emitter.emit('bus.resync', {});
          })
          .catch((e) => {
            this.log.warn({ err: e }, 'event listener reconnect failed');
            backoff = Math.min(backoff * 2, 10_000);
            setTimeout(retry, backoff).unref();
          });
      };
      setTimeout(retry, backoff).unref();
    };
    const connect = async (): Promise<void> => {
      const c = new pg.Client({ connectionString: url, keepAlive: true, application_name: `gh-events-${this.nodeId}`.slice(0, 63) });
      c.on('error', (e) => lost(c, e));
      c.on('end', () => lost(c, new Error('connection ended')));
      c.on('notification', (n) => {
        if (n.channel !== this.channel || !n.payload) return;
        try {
          const m = JSON.parse(n.payload) as { o: string; t: Topic; p: unknown };
          if (m.o === this.nodeId) return;
          this.emitter.emit(m.t, m.p);
        } catch (e) {
          this.log.warn({ err: e }, 'bad event payload ignored');
        }
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${this.channel}`);
      } catch (e) {
        await c.end().catch(() => undefined);
        throw e;
      }
      this.listener = c;
    };
    await connect();
    this.heartbeat = setInterval(() => {
      const c = this.listener;
      if (!c) return;
      const t = setTimeout(() => lost(c, new Error('heartbeat timed out')), heartbeatMs);
      c.query('select 1').then(
        () => clearTimeout(t),
        (e) => {
          clearTimeout(t);
          lost(c, e);
        },
      );
    }, heartbeatMs);
    this.heartbeat.unref();
  }


  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.emitter.removeAllListeners();
    if (this.listener) await this.listener.end().catch(() => undefined);
  }
}
