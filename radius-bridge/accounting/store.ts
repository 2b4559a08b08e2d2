/**
 * The only knex user for live accounting sessions (table radius_sessions, migrations.ts).
 *
 * Rules:
 * - Upsert by (nas_name, acct_session_id) keeps started_at of an existing row (RFC 2866: the
 *   session began at its Start); Stop deletes; Accounting-On/Off delete every row of that NAS.
 * - Numbers come back as JS numbers (PostgreSQL returns bigint as text).
 */
import type { Db } from '../../platform/db/index.ts';
import type { LiveSession } from './state.ts';

const T = 'radius_sessions';

interface Row {
  nas_name: string;
  acct_session_id: string;
  nas_address: string;
  nas_ip: string | null;
  nas_identifier: string | null;
  nas_port: number | string | null;
  nas_port_id: string | null;
  mac: string | null;
  calling_station_id: string | null;
  user_name: string | null;
  device_id: string | null;
  node_id: string;
  started_at: number | string;
  updated_at: number | string;
  input_octets: number | string;
  output_octets: number | string;
  session_time: number | string;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function toSession(r: Row): LiveSession {
  return {
    nasName: r.nas_name,
    acctSessionId: r.acct_session_id,
    nasAddress: r.nas_address,
    nasIp: r.nas_ip,
    nasIdentifier: r.nas_identifier,
    nasPort: num(r.nas_port),
    nasPortId: r.nas_port_id,
    mac: r.mac,
    callingStationId: r.calling_station_id,
    userName: r.user_name,
    deviceId: r.device_id,
    nodeId: r.node_id,
    startedAt: Number(r.started_at),
    updatedAt: Number(r.updated_at),
    inputOctets: Number(r.input_octets),
    outputOctets: Number(r.output_octets),
    sessionTime: Number(r.session_time),
  };
}

function toRow(s: LiveSession): Row {
  return {
    nas_name: s.nasName,
    acct_session_id: s.acctSessionId,
    nas_address: s.nasAddress,
    nas_ip: s.nasIp,
    nas_identifier: s.nasIdentifier,
    nas_port: s.nasPort,
    nas_port_id: s.nasPortId,
    mac: s.mac,
    calling_station_id: s.callingStationId,
    user_name: s.userName,
    device_id: s.deviceId,
    node_id: s.nodeId,
    started_at: s.startedAt,
    updated_at: s.updatedAt,
    input_octets: s.inputOctets,
    output_octets: s.outputOctets,
    session_time: s.sessionTime,
  };
}

export const sessionStore = {
  async get(db: Db, nasName: string, acctSessionId: string): Promise<LiveSession | null> {
    const r = (await db<Row>(T).where({ nas_name: nasName, acct_session_id: acctSessionId }).first()) as
      Row | undefined;
    return r ? toSession(r) : null;
  },

  async upsert(db: Db, s: LiveSession): Promise<void> {
    const row = toRow(s);
    const { nas_name: _n, acct_session_id: _a, started_at: _s, ...update } = row;
    await db(T).insert(row).onConflict(['nas_name', 'acct_session_id']).merge(update);
  },

  async remove(db: Db, nasName: string, acctSessionId: string): Promise<number> {
    return db(T).where({ nas_name: nasName, acct_session_id: acctSessionId }).delete();
  },

  async clearNas(db: Db, nasName: string): Promise<number> {
    return db(T).where({ nas_name: nasName }).delete();
  },

  async byDevice(db: Db, deviceId: string): Promise<LiveSession[]> {
    return ((await db<Row>(T).where({ device_id: deviceId }).orderBy('started_at')) as Row[]).map(toSession);
  },

  async list(db: Db, limit = 1000): Promise<LiveSession[]> {
    return ((await db<Row>(T).orderBy('started_at').limit(limit)) as Row[]).map(toSession);
  },

  async removeStale(db: Db, olderThanMs: number): Promise<number> {
    return db(T).where('updated_at', '<', olderThanMs).delete();
  },
};
