/**
 * The issuance pipeline (Let's Encrypt's order): check + build + lint (prepare) -> reserve +
 * audit intent -> sign -> store + audit -> return.
 *
 * Rules enforced:
 * - The CSR is size-capped (64 KiB, ERR_CSR_TOO_LARGE) and the profile resolved
 *   (ERR_PROFILE_UNKNOWN) before any parsing; prepare.ts then parses the CSR with the profile's
 *   key policy before the proof of possession (RFC 2986 §3), takes the names from the grant,
 *   builds the TBS and lints it (ERR_LINT: nothing is reserved or signed).
 * - The serial (RFC 5280 §4.1.2.2) is reserved together with the audit entry `cert.reserve`
 *   in one transaction BEFORE anything is signed: after a crash at any later point the serial
 *   is `reserved` (listed, revocable) or stored, never unknown. Grant.onReserve (e.g. consuming
 *   a one-time enrollment token) runs in that same transaction: if it throws, nothing is
 *   reserved and issue() fails with its error. Like all group work it may run twice (group
 *   replay) and must only write through the transaction it is given.
 * - The signature is made on the main thread with the issuer's Signer handle (the key never
 *   crosses to a worker), over exactly the linted TBS.
 * - The DER is stored (state issued) with the audit entry `cert.issue` in one transaction, and
 *   only after that commit is the certificate returned. Grant.onStore runs in that transaction
 *   (same rules as onReserve; a throw leaves the serial reserved).
 * - Both writes go through the group committer (one durable commit for many concurrent
 *   issuances, each caller isolated); store failures surface as ERR_STORE_*.
 * - A serial revoked while it was still reserved keeps its revocation: the DER is stored and
 *   ERR_CERT_REVOKED is thrown instead of handing out a revoked certificate.
 */
import { createHash } from 'node:crypto';
import type { AuditLog } from '../platform/audit/index.ts';
import type { GroupCommit, Tx } from '../platform/db/index.ts';
import { AppError, isAppError } from '../platform/errors.ts';
import { signCertificate } from './cert-builder.ts';
import { CSR_MAX_BYTES } from './csr.ts';
import type { PrepareInput, Prepared } from './prepare.ts';
import { getProfile, type ProfileSet } from './profiles/index.ts';
import { caStore, storeError } from './store.ts';
import type { Grant, IssuedCert, LoadedIssuer } from './types.ts';

export interface IssueHooks {
  /** Called after the reservation committed and before signing (crash-safety tests, metrics). */
  afterReserve?(issuerId: string, serial: string): void | Promise<void>;
}

export interface IssueDeps {
  profiles: ProfileSet;
  audit: AuditLog;
  group: GroupCommit;
  now: () => Date;
  /** prepareIssuance, inline or on a worker (ca/prepare-pool.ts). */
  prepare: (input: PrepareInput) => Promise<Prepared>;
  hooks?: IssueHooks | undefined;
}

function checkGrant(grant: Grant): void {
  if (!grant || typeof grant !== 'object') throw new AppError('ERR_BAD_INPUT', 'grant missing');
  if (typeof grant.actor !== 'string' || grant.actor.length === 0 || grant.actor.length > 256) throw new AppError('ERR_BAD_INPUT', 'grant.actor must be 1..256 characters');
  const d = grant.deviceId;
  if (d !== undefined && d !== null && (typeof d !== 'string' || d.length === 0 || d.length > 128)) throw new AppError('ERR_BAD_INPUT', 'grant.deviceId must be 1..128 characters');
}

/** A group write whose failures leave as ERR_STORE_* (AppErrors pass through). */
async function write<T>(deps: IssueDeps, fn: (trx: Tx) => Promise<T>): Promise<T> {
  try {
    return await deps.group.run(fn);
  } catch (e) {
    throw e instanceof SerialTaken ? e : storeError(e);
  }
}

/** The drawn serial already exists for this issuer (a 127-bit collision): draw again. */
class SerialTaken extends Error {}

async function reserve(deps: IssueDeps, issuerId: string, p: Prepared, profile: string, grant: Grant, now: Date): Promise<void> {
  const deviceId = grant.deviceId ?? null;
  await write(deps, async (trx) => {
    await caStore.reserve(trx, {
      issuerId,
      serial: p.serialHex,
      profile,
      deviceId,
      subject: p.subject,
      sans: p.sans,
      notBefore: p.notBefore,
      notAfter: p.notAfter,
      spkiSha256: p.spkiSha256,
      actor: grant.actor,
      reservedAt: now,
    }).catch((e: unknown) => {
      throw isAppError(e, 'ERR_CONFLICT') ? new SerialTaken() : e;
    });
    await deps.audit.append(trx, {
      actor: grant.actor,
      action: 'cert.reserve',
      target: `${issuerId}:${p.serialHex}`,
      data: { profile, deviceId, subject: p.subject, sans: p.sans, notAfter: p.notAfter.toISOString() },
    });
    if (grant.onReserve) await grant.onReserve(trx, p.serialHex);
  });
}

export async function issueCertificate(deps: IssueDeps, issuer: LoadedIssuer, chain: Buffer[], csrDer: Buffer, grant: Grant): Promise<IssuedCert> {
  if (!(csrDer instanceof Uint8Array)) throw new AppError('ERR_CSR_MALFORMED', 'CSR must be bytes');
  if (csrDer.length > CSR_MAX_BYTES) throw new AppError('ERR_CSR_TOO_LARGE', `CSR larger than ${CSR_MAX_BYTES} bytes`);
  checkGrant(grant);
  const profile = getProfile(deps.profiles, grant.profile);
  const r = issuer.record;
  const now = deps.now();
  const input: PrepareInput = {
    csrDer,
    grant,
    profile,
    issuer: { id: r.id, nameDer: issuer.nameDer, ski: r.ski, notBefore: r.notBefore, notAfter: r.notAfter, keyAlgorithm: issuer.signer.algorithm },
    now,
  };

  // 1. parse + verify + build + lint (pure), then reserve the serial + audit intent durably
  let p: Prepared | undefined;
  for (let attempt = 0; !p; attempt++) {
    const candidate = await deps.prepare(input);
    try {
      await reserve(deps, r.id, candidate, profile.name, grant, now);
      p = candidate;
    } catch (e) {
      if (!(e instanceof SerialTaken)) throw e;
      if (attempt >= 2) throw new AppError('ERR_CONFLICT', 'could not reserve a unique serial', { cause: e });
    }
  }
  const serial = p.serialHex;
  await deps.hooks?.afterReserve?.(r.id, serial);

  // 2. sign exactly the linted TBS
  const der = signCertificate(issuer.signer, p.tbs);
  const fingerprint = createHash('sha256').update(der).digest('hex');

  // 3. store durably with its audit entry, then hand it out
  const before = await write(deps, async (trx) => {
    const prev = await caStore.markIssued(trx, { issuerId: r.id, serial, der, fingerprint, issuedAt: deps.now() });
    await deps.audit.append(trx, { actor: grant.actor, action: 'cert.issue', target: `${r.id}:${serial}`, data: { fingerprint } });
    if (grant.onStore) await grant.onStore(trx, r.id, serial);
    return prev;
  });
  if (before === 'revoked') throw new AppError('ERR_CERT_REVOKED', `serial ${serial} was revoked before its certificate was stored`);
  return { issuerId: r.id, serial, der, notBefore: p.notBefore, notAfter: p.notAfter, profile: profile.name, chain };
}
