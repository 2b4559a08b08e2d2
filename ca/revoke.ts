/**
 * Revocation, hold and release.
 *
 * Rules enforced:
 * - Reasons are the RFC 5280 §5.3.1 CRLReason names (ERR_REVOCATION_REASON otherwise).
 * - certificateHold (§5.3.1 value 6) can be released with removeFromCRL (value 8): the
 *   certificate returns to its previous state and hold_released_at is recorded so delta CRLs
 *   can list it as removeFromCRL (§5.2.4). removeFromCRL on anything not on hold is refused.
 * - A certificate on hold may be revoked for good with another reason (escalation: the date
 *   becomes the new revocation's date); any other second revocation is ERR_ALREADY_REVOKED.
 * - A reserved serial (signed or not, never handed out) can be revoked like an issued one.
 * - invalidityDate (§5.3.2) must be a valid date not in the future.
 * - The change, its audit entry and the cross-node NOTIFY (PostgreSQL, delivered at commit)
 *   share one transaction; local subscribers hear `cert.revoked` only after the commit.
 * - Unknown serial -> ERR_CERT_UNKNOWN; a serial held by several issuers needs issuerId.
 */
import type { AuditLog } from '../platform/audit/index.ts';
import { withTx, type Db } from '../platform/db/index.ts';
import { AppError } from '../platform/errors.ts';
import type { EventBus, GatehouseEvents } from '../platform/events.ts';
import { normalizeSerial } from './serial.ts';
import { caStore, storeError } from './store.ts';
import { REVOCATION_REASONS, type RevocationReason, type RevocationResult, type RevokeOptions } from './types.ts';

export interface RevokeDeps {
  db: Db;
  audit: AuditLog;
  bus: EventBus;
  now: () => Date;
  /** The active issuer's id, if any (default place to look for the serial). */
  activeIssuerId: string | undefined;
}

async function resolveIssuer(deps: RevokeDeps, serial: string, opts: RevokeOptions): Promise<string> {
  if (opts.issuerId) return opts.issuerId;
  const holders = await caStore.issuersOfSerial(deps.db, serial);
  if (deps.activeIssuerId && holders.includes(deps.activeIssuerId)) return deps.activeIssuerId;
  if (holders.length === 1) return holders[0] as string;
  if (holders.length === 0) throw new AppError('ERR_CERT_UNKNOWN', `no certificate with serial ${serial}`);
  throw new AppError('ERR_CONFLICT', `serial ${serial} exists under several issuers; name the issuer`);
}

export async function revokeCertificate(deps: RevokeDeps, serialIn: string, reason: RevocationReason, opts: RevokeOptions): Promise<RevocationResult> {
  if (typeof reason !== 'string' || !Object.hasOwn(REVOCATION_REASONS, reason)) throw new AppError('ERR_REVOCATION_REASON', `unknown revocation reason ${String(reason).slice(0, 40)}`);
  if (!opts || typeof opts.actor !== 'string' || opts.actor.length === 0) throw new AppError('ERR_BAD_INPUT', 'revocation needs an actor');
  const inv = opts.invalidityDate;
  if (inv !== undefined && (!(inv instanceof Date) || Number.isNaN(inv.getTime()) || inv.getTime() > deps.now().getTime() + 60_000)) {
    throw new AppError('ERR_BAD_INPUT', 'invalidityDate must be a date in the past');
  }
  const serial = normalizeSerial(serialIn);
  const issuerId = await resolveIssuer(deps, serial, opts);
  const revokedAt = new Date(Math.floor(deps.now().getTime() / 1000) * 1000);

  let payload: GatehouseEvents['cert.revoked'] | undefined;
  let result: RevocationResult | undefined;
  try {
    await withTx(deps.db, async (trx) => {
      const rec = await caStore.getCert(trx, issuerId, serial, true);
      if (!rec) throw new AppError('ERR_CERT_UNKNOWN', `no certificate ${serial} from issuer ${issuerId}`);
      const onHold = rec.state === 'revoked' && rec.revocationReason === 'certificateHold';
      const target = `${issuerId}:${serial}`;
      if (reason === 'removeFromCRL') {
        if (!onHold) throw new AppError('ERR_REVOCATION_REASON', 'removeFromCRL only releases a certificate on hold');
        await caStore.releaseHold(trx, { issuerId, serial, hadDer: rec.der !== null, releasedAt: revokedAt });
        await deps.audit.append(trx, { actor: opts.actor, action: 'cert.release', target, data: { heldSince: rec.revokedAt?.toISOString() ?? null } });
      } else {
        if (rec.state === 'revoked' && !(onHold && reason !== 'certificateHold')) {
          throw new AppError('ERR_ALREADY_REVOKED', `certificate ${serial} is already revoked (${rec.revocationReason})`);
        }
        await caStore.revoke(trx, { issuerId, serial, reason, revokedAt, invalidityDate: inv });
        await deps.audit.append(trx, {
          actor: opts.actor,
          action: 'cert.revoke',
          target,
          data: { reason, previous: onHold ? 'certificateHold' : rec.state, invalidityDate: inv?.toISOString() ?? null },
        });
      }
      payload = { issuerId, serial, reason, revokedAt: revokedAt.toISOString(), deviceId: rec.deviceId };
      await deps.bus.notifyTx(trx, 'cert.revoked', payload);
      result = { issuerId, serial, reason, revokedAt, deviceId: rec.deviceId };
    });
  } catch (e) {
    throw storeError(e);
  }
  deps.bus.emitLocal('cert.revoked', payload as GatehouseEvents['cert.revoked']);
  return result as RevocationResult;
}
