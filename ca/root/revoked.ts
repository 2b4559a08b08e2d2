/**
 * The offline root's revocation ledger: `<offline-dir>/revoked.json`, a JSON array of
 * `{ serial, reason, revokedAt }`, merged into every root CRL.
 *
 * Rules enforced:
 * - Append-only: each run adds the serials it is given to the ledger; a serial is never removed,
 *   so omitting it on a later run cannot un-revoke an issuing CA (RFC 5280 §5.1.2.6: a complete
 *   CRL lists every revoked certificate in its scope; §3.3: revocation is permanent).
 * - revocationDate is fixed when a serial is first recorded (the run's thisUpdate, or the date
 *   given with it, never in the future); later runs never move it. A later run may restate the
 *   reason (recorded, the date stays); naming the serial without a reason keeps the recorded one.
 * - Reasons are RFC 5280 §5.3.1 CRLReason names checked with Object.hasOwn (so "constructor" or
 *   "__proto__" are refused), never removeFromCRL (a complete CRL). ERR_REVOCATION_REASON.
 * - Serials are canonical hex (ca/serial.ts normalizeSerial); each appears once.
 * - A ledger that does not parse or holds an invalid entry stops the run (ERR_CONFIG): it is
 *   never silently replaced. It is written atomically and fsync'd (platform/crypto
 *   writeFileAtomic), before the CRL that uses it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../platform/crypto.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { normalizeSerial } from '../serial.ts';
import { REVOCATION_REASONS, type RevocationReason } from '../types.ts';
import { rootFiles } from './files.ts';

export interface RootRevocation {
  serial: string;
  reason?: RevocationReason;
  revokedAt?: Date;
}

export interface LedgerEntry {
  serial: string;
  reason: RevocationReason;
  /** ISO 8601, whole seconds. */
  revokedAt: string;
}

export const revokedFile = (dir: string): string => rootFiles(dir).revoked;

const whole = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

export function checkRootReason(reason: unknown): RevocationReason {
  if (typeof reason !== 'string' || !Object.hasOwn(REVOCATION_REASONS, reason) || reason === 'removeFromCRL') {
    throw new AppError('ERR_REVOCATION_REASON', `invalid root CRL reason ${String(reason).slice(0, 40)}`);
  }
  return reason as RevocationReason;
}

/** The recorded revocations (empty when there is no ledger yet). */
export function readLedger(dir: string): LedgerEntry[] {
  const file = revokedFile(dir);
  if (!existsSync(file)) return [];
  const bad = (why: string, cause?: unknown): AppError =>
    new AppError(
      'ERR_CONFIG',
      `${file} is not a valid revocation ledger (${why}); fix or restore it, it is never replaced`,
      { cause },
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw bad('not JSON', e);
  }
  if (!Array.isArray(raw)) throw bad('not an array');
  const seen = new Set<string>();
  return raw.map((x: unknown, i) => {
    const r = x as Partial<Record<keyof LedgerEntry, unknown>> | null;
    try {
      const serial = normalizeSerial(r?.serial as string);
      const reason = checkRootReason(r?.reason);
      const at = typeof r?.revokedAt === 'string' ? new Date(r.revokedAt) : new Date(NaN);
      if (Number.isNaN(at.getTime())) throw bad(`entry ${i}: revokedAt`);
      if (seen.has(serial)) throw bad(`entry ${i}: serial ${serial} listed twice`);
      seen.add(serial);
      return { serial, reason, revokedAt: whole(at).toISOString() };
    } catch (e) {
      throw isAppError(e, 'ERR_CONFIG') ? e : bad(`entry ${i}: ${(e as Error).message}`, e);
    }
  });
}

/** The ledger plus this run's revocations (see the rules above); the input is validated first. */
export function mergeRevocations(
  ledger: readonly LedgerEntry[],
  input: ReadonlyArray<string | RootRevocation>,
  now: Date,
): LedgerEntry[] {
  const out = ledger.map((e) => ({ ...e }));
  const bySerial = new Map(out.map((e) => [e.serial, e]));
  for (const item of input) {
    const r: RootRevocation = typeof item === 'string' ? { serial: item } : item;
    const serial = normalizeSerial(r.serial);
    const reason = r.reason === undefined ? undefined : checkRootReason(r.reason);
    const known = bySerial.get(serial);
    if (known) {
      if (reason !== undefined) known.reason = reason;
      continue;
    }
    const at = r.revokedAt ?? now;
    if (!(at instanceof Date) || Number.isNaN(at.getTime()) || at.getTime() > now.getTime() + 60_000) {
      throw new AppError('ERR_BAD_INPUT', `revocation date of ${serial} must be a date not in the future`);
    }
    const e: LedgerEntry = { serial, reason: reason ?? 'unspecified', revokedAt: whole(at).toISOString() };
    out.push(e);
    bySerial.set(serial, e);
  }
  return out;
}

export function writeLedger(dir: string, entries: readonly LedgerEntry[]): void {
  writeFileAtomic(revokedFile(dir), JSON.stringify(entries, null, 2) + '\n', 0o600);
}
