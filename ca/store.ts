/**
 * The only knex user in ca/ (besides ca/crl/store.ts): issuers and certificates <-> rows.
 *
 * Rules enforced:
 * - Serials are stored as canonical lowercase hex (ca/serial.ts), UNIQUE per issuer by the
 *   primary key (issuer_id, serial) (RFC 5280 §4.1.2.2); a duplicate reserve is ERR_CONFLICT.
 * - A row is written `reserved` before anything is signed and only ever moves reserved ->
 *   issued (markIssued sets the DER once), {reserved, issued} -> revoked, and revoked with
 *   reason certificateHold -> back to its previous state (RFC 5280 §5.3.1 removeFromCRL),
 *   recording hold_released_at for delta CRLs.
 * - Writes that belong to a caller's change take the caller's transaction (trx) so that the
 *   audit entry commits with them; reads take a Db or a Tx.
 * - Times in range columns are epoch seconds. Every driver error leaves as ERR_STORE_*
 *   (mapDbError, and ERR_STORE_UNAVAILABLE for anything it does not classify), so callers can
 *   deny and retry instead of reporting an internal error; a unique violation is ERR_CONFLICT
 *   (platform/db isUniqueViolation).
 * - listCerts always applies a limit: a safe integer clamped to 1..10 000, anything else (NaN, a
 *   string, Infinity) the default 100; offset likewise a safe integer >= 0, else 0.
 * - The two issuance writes (reserve, markIssued) are fixed SQL (platform/db/sql.ts), not built
 *   per call.
 */
import { AppError } from '../platform/errors.ts';
import { conflictOrMapped, execute, type Db, type Tx } from '../platform/db/index.ts';
import type { CertRecord, CertState, IssuerRecord, IssuerStatus, RevocationReason, SanSpec } from './types.ts';

type Q = Db | Tx;
type Row = Record<string, unknown>;

const sec = (d: Date): number => Math.floor(d.getTime() / 1000);
const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(Number(v) * 1000));

/** Maps a driver error to ERR_STORE_*; AppErrors pass through. */
export function storeError(e: unknown): AppError {
  const m = conflictOrMapped(e);
  if (m instanceof AppError) return m;
  return new AppError('ERR_STORE_UNAVAILABLE', 'certificate store failed', { cause: e, retryAfter: 5 });
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw storeError(e);
  }
}

function toIssuer(r: Row): IssuerRecord {
  return {
    id: r.id as string,
    subject: r.subject as string,
    certDer: Buffer.from(r.cert_der as Buffer),
    chainDer: (JSON.parse(r.chain_der_b64 as string) as string[]).map((b) => Buffer.from(b, 'base64')),
    ski: Buffer.from(r.ski as string, 'hex'),
    keyAlgorithm: r.key_algorithm as string,
    keyFile: r.key_file as string,
    status: r.status as IssuerStatus,
    notBefore: date(r.not_before) as Date,
    notAfter: date(r.not_after) as Date,
  };
}

function toCert(r: Row): CertRecord {
  return {
    issuerId: r.issuer_id as string,
    serial: r.serial as string,
    state: r.state as CertState,
    profile: r.profile as string,
    deviceId: (r.device_id as string | null) ?? null,
    subject: r.subject as string,
    sans: JSON.parse(r.sans as string) as SanSpec,
    notBefore: date(r.not_before),
    notAfter: date(r.not_after),
    der: r.der ? Buffer.from(r.der as Buffer) : null,
    fingerprint: (r.fingerprint as string | null) ?? null,
    reservedAt: date(r.reserved_at) as Date,
    issuedAt: date(r.issued_at),
    revokedAt: date(r.revoked_at),
    revocationReason: (r.revocation_reason as RevocationReason | null) ?? null,
    invalidityDate: date(r.invalidity_date),
  };
}

export interface ReserveRow {
  issuerId: string;
  serial: string;
  profile: string;
  deviceId: string | null;
  subject: string;
  sans: SanSpec;
  notBefore: Date;
  notAfter: Date;
  spkiSha256: string;
  actor: string;
  reservedAt: Date;
}

export interface CertFilter {
  deviceId?: string;
  state?: CertState;
  profile?: string;
  issuerId?: string;
  limit?: number;
  offset?: number;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

/** A safe integer within [min, max], else `fallback` (knex silently drops limit(NaN)). */
export function boundedInt(v: unknown, fallback: number, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return fallback;
  return Math.min(Math.max(v, min), max);
}

const RESERVE_SQL =
  'insert into ca_certificates (issuer_id, serial, state, profile, device_id, subject, sans, not_before, not_after, spki_sha256, reserved_at, actor) ' +
  "values (?, ?, 'reserved', ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const MARK_ISSUED_SQL = "update ca_certificates set der = ?, fingerprint = ?, issued_at = ?, state = 'issued' where issuer_id = ? and serial = ? and state = 'reserved'";
const STORE_DER_SQL = 'update ca_certificates set der = ?, fingerprint = ?, issued_at = ? where issuer_id = ? and serial = ? and der is null';

export const caStore = {
  // ---- issuers ----
  insertIssuer: (trx: Tx, i: IssuerRecord, createdAt: Date): Promise<void> =>
    guard(async () => {
      await trx('ca_issuers').insert({
        id: i.id,
        subject: i.subject,
        cert_der: i.certDer,
        chain_der_b64: JSON.stringify(i.chainDer.map((c) => c.toString('base64'))),
        ski: i.ski.toString('hex'),
        key_algorithm: i.keyAlgorithm,
        key_file: i.keyFile,
        status: i.status,
        not_before: sec(i.notBefore),
        not_after: sec(i.notAfter),
        created_at: createdAt.toISOString(),
      });
    }),
  listIssuers: (q: Q, statuses?: readonly IssuerStatus[]): Promise<IssuerRecord[]> =>
    guard(async () => {
      let b = q('ca_issuers').select().orderBy([{ column: 'created_at', order: 'asc' }, { column: 'id' }]);
      if (statuses) b = b.whereIn('status', statuses as IssuerStatus[]);
      return (await b).map(toIssuer);
    }),
  setIssuerStatus: (trx: Tx, id: string, status: IssuerStatus, from?: IssuerStatus): Promise<number> =>
    guard(() => trx('ca_issuers').where(from === undefined ? { id } : { id, status: from }).update({ status })),
  /** (id, status) of the issuers in `statuses`: the cheap check behind CaService.refreshIssuers(). */
  issuerStates: (q: Q, statuses: readonly IssuerStatus[]): Promise<Array<{ id: string; status: IssuerStatus }>> =>
    guard(async () => (await q('ca_issuers').select('id', 'status').whereIn('status', statuses as IssuerStatus[])) as Array<{ id: string; status: IssuerStatus }>),
  /** Largest notAfter (epoch s) among the issuer's certificates, or null when it has none. */
  maxCertNotAfter: (q: Q, issuerId: string): Promise<number | null> =>
    guard(async () => {
      const r = (await q('ca_certificates').where({ issuer_id: issuerId }).max({ m: 'not_after' }).first()) as { m: unknown } | undefined;
      return r?.m === null || r?.m === undefined ? null : Number(r.m);
    }),

  // ---- certificates ----
  reserve: (trx: Tx, r: ReserveRow): Promise<void> =>
    guard(async () => {
      await execute(trx, RESERVE_SQL, [
        r.issuerId,
        r.serial,
        r.profile,
        r.deviceId,
        r.subject,
        JSON.stringify(r.sans),
        sec(r.notBefore),
        sec(r.notAfter),
        r.spkiSha256,
        sec(r.reservedAt),
        r.actor,
      ]);
    }),
  /** Stores the signed DER of a reserved (or already revoked) serial; returns the state it had. */
  markIssued: (trx: Tx, m: { issuerId: string; serial: string; der: Buffer; fingerprint: string; issuedAt: Date }): Promise<CertState> =>
    guard(async () => {
      const values = [m.der, m.fingerprint, sec(m.issuedAt), m.issuerId, m.serial];
      if ((await execute(trx, MARK_ISSUED_SQL, values)) === 1) return 'reserved';
      // revoked while reserved: keep it revoked, but keep the DER so that it can be listed
      if ((await execute(trx, STORE_DER_SQL, values)) === 1) return 'revoked';
      throw new AppError('ERR_CONFLICT', `serial ${m.serial} is not awaiting its certificate`);
    }),
  getCert: (q: Q, issuerId: string, serial: string, forUpdate = false): Promise<CertRecord | null> =>
    guard(async () => {
      let b = q('ca_certificates').where({ issuer_id: issuerId, serial });
      if (forUpdate) b = b.forUpdate();
      const r = (await b.first()) as Row | undefined;
      return r ? toCert(r) : null;
    }),
  /** Issuers holding this serial (normally one), for revoke-by-serial. */
  issuersOfSerial: (q: Q, serial: string): Promise<string[]> =>
    guard(async () => ((await q('ca_certificates').where({ serial }).select('issuer_id')) as Row[]).map((r) => r.issuer_id as string)),
  findByFingerprint: (q: Q, fingerprint: string): Promise<CertRecord | null> =>
    guard(async () => {
      const r = (await q('ca_certificates').where({ fingerprint }).first()) as Row | undefined;
      return r ? toCert(r) : null;
    }),
  listCerts: (q: Q, f: CertFilter): Promise<CertRecord[]> =>
    guard(async () => {
      let b = q('ca_certificates').select();
      if (f.deviceId !== undefined) b = b.where('device_id', f.deviceId);
      if (f.state !== undefined) b = b.where('state', f.state);
      if (f.profile !== undefined) b = b.where('profile', f.profile);
      if (f.issuerId !== undefined) b = b.where('issuer_id', f.issuerId);
      b = b.orderBy([{ column: 'reserved_at', order: 'desc' }, { column: 'serial' }]);
      b = b.limit(boundedInt(f.limit, DEFAULT_LIMIT, 1, MAX_LIMIT)).offset(boundedInt(f.offset, 0, 0, Number.MAX_SAFE_INTEGER));
      return ((await b) as Row[]).map(toCert);
    }),
  revoke: (trx: Tx, r: { issuerId: string; serial: string; reason: RevocationReason; revokedAt: Date; invalidityDate?: Date | undefined }): Promise<number> =>
    guard(() =>
      trx('ca_certificates')
        .where({ issuer_id: r.issuerId, serial: r.serial })
        .update({
          state: 'revoked',
          revoked_at: sec(r.revokedAt),
          revocation_reason: r.reason,
          invalidity_date: r.invalidityDate ? sec(r.invalidityDate) : null,
        }),
    ),
  /** Releases a certificateHold: back to issued (or reserved when no DER was stored). */
  releaseHold: (trx: Tx, r: { issuerId: string; serial: string; hadDer: boolean; releasedAt: Date }): Promise<number> =>
    guard(() =>
      trx('ca_certificates')
        .where({ issuer_id: r.issuerId, serial: r.serial, state: 'revoked', revocation_reason: 'certificateHold' })
        .update({
          state: r.hadDer ? 'issued' : 'reserved',
          revoked_at: null,
          revocation_reason: null,
          invalidity_date: null,
          hold_released_at: sec(r.releasedAt),
        }),
    ),
};
