/**
 * CaService: the CertificateAuthority every other part talks to (ca/types.ts).
 *
 * Rules enforced:
 * - The online service never imports ca/root/ and never sees the root key (ARCHITECTURE.md).
 * - Issuance goes through issue.ts (verify + build + lint -> reserve + audit -> sign -> store +
 *   audit), with one GroupCommit shared by the reserve and store steps of all concurrent
 *   issuances, and the pure step on worker threads (prepare-pool.ts) so that a second core
 *   verifies CSRs while the main thread writes and signs.
 * - Revocation goes through revoke.ts (same-transaction audit + NOTIFY, local event after
 *   commit). A released hold is announced as `cert.revoked` with reason removeFromCRL.
 * - Status is read live (status.ts); an unknown or retired issuer answers unknown.
 * - Issuers are the non-retired ones from the store, keys unlocked at open()/reload(); the
 *   active one issues unless a grant names another loaded issuer. No active issuer ->
 *   ERR_ISSUER_UNAVAILABLE.
 * - Rollover done elsewhere (another node, the CLI) is picked up by refreshIssuers(): one small
 *   read of the store's (id, status) set, a reload only when it differs (keys of unchanged
 *   issuers are not unlocked again); concurrent calls share one read. Call it from a timer
 *   (30-60 s); the OCSP responder also calls it on an issuer-index miss.
 * - maintenance(now) retires the retiring issuers whose certificates all expired
 *   (retireExpired) and then refreshes; call it from a timer too.
 * - After the store committed, `cert.issued` is emitted locally (not across nodes).
 */
import { X509Certificate } from 'node:crypto';
import type { AuditLog } from '../platform/audit/index.ts';
import { GroupCommit, type Db } from '../platform/db/index.ts';
import { AppError } from '../platform/errors.ts';
import type { EventBus } from '../platform/events.ts';
import { issueCertificate, type IssueDeps, type IssueHooks } from './issue.ts';
import { loadIssuers, retireExpired } from './issuers.ts';
import type { ParsedCsr } from './csr.ts';
import { PreparePool, type PoolSize } from './prepare-pool.ts';
import { resolveProfiles, type ProfileOverride, type ProfileSet } from './profiles/index.ts';
import { revokeCertificate } from './revoke.ts';
import { normalizeSerial } from './serial.ts';
import { statusOf, statusOfCertDer } from './status.ts';
import { caStore, type CertFilter } from './store.ts';
import type { CertificateAuthority, CertRecord, CertStatus, Grant, IssuedCert, LoadedIssuer, RevocationReason, RevocationResult, RevokeOptions } from './types.ts';

export interface CaServiceOptions {
  db: Db;
  audit: AuditLog;
  bus: EventBus;
  /** http.publicUrl: base of the CDP / AIA URLs put into certificates. */
  publicUrl: string;
  /** Unlocks the issuing keys (ca.keyPassphrase). */
  passphrase: string;
  /** ca.profiles overrides. */
  profiles?: Readonly<Record<string, ProfileOverride>>;
  now?: () => Date;
  hooks?: IssueHooks;
  /** Most issuance writes per group commit (default 256). */
  maxBatch?: number;
  /** Worker threads for CSR verify + build + lint ('auto': one per extra core; 0: inline). */
  workers?: PoolSize;
}

export class CaService implements CertificateAuthority {
  private loaded: LoadedIssuer[] = [];
  private byId = new Map<string, LoadedIssuer>();
  private chains = new Map<string, Buffer[]>();
  private readonly profiles: ProfileSet;
  private readonly group: GroupCommit;
  private readonly now: () => Date;
  private readonly pool: PreparePool;
  private readonly issueDeps: IssueDeps;
  private refreshing: Promise<boolean> | null = null;

  private constructor(private readonly opts: CaServiceOptions) {
    this.profiles = resolveProfiles({ publicUrl: opts.publicUrl, overrides: opts.profiles ?? {} });
    this.group = new GroupCommit(opts.db, { maxBatch: opts.maxBatch ?? 256 });
    this.now = opts.now ?? (() => new Date());
    this.pool = new PreparePool(opts.workers ?? 'auto', [...this.profiles.values()]);
    // built once: per issuance, the object and its closure were measurable on the hot path
    this.issueDeps = { profiles: this.profiles, audit: opts.audit, group: this.group, now: this.now, hooks: opts.hooks, prepare: (i) => this.pool.run({ ...i, verified: this.verified.get(i.csrDer) }) };
  }

  /** Resolves profiles and loads every non-retired issuer with its key unlocked. */
  static async open(opts: CaServiceOptions): Promise<CaService> {
    const s = new CaService(opts);
    try {
      await s.reload();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  /** Re-reads issuers from the store (after registering or retiring one). */
  async reload(): Promise<void> {
    const loaded = await loadIssuers(this.opts.db, this.opts.passphrase, this.byId);
    this.loaded = loaded;
    this.byId = new Map(loaded.map((i) => [i.record.id, i]));
    this.chains = new Map(loaded.map((i) => [i.record.id, chainBelowRoot(i)]));
  }

  /** Reloads when the store's non-retired issuers (ids, statuses) differ from the loaded ones; true if it did. */
  refreshIssuers(): Promise<boolean> {
    this.refreshing ??= (async () => {
      try {
        const states = await caStore.issuerStates(this.opts.db, ['active', 'retiring']);
        const same = states.length === this.loaded.length && states.every((s) => this.byId.get(s.id)?.record.status === s.status);
        if (same) return false;
        await this.reload();
        return true;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Periodic upkeep: retires issuers whose certificates all expired, then refreshes; the ids retired now. */
  async maintenance(now: Date = this.now()): Promise<string[]> {
    const retired = await retireExpired(this.opts.db, this.opts.audit, now);
    await this.refreshIssuers();
    return retired;
  }

  /** Finishes queued writes; later issuance is refused. */
  async close(): Promise<void> {
    await this.group.close();
    await this.pool.close();
  }

  get groupStats(): GroupCommit['stats'] {
    return this.group.stats;
  }

  /** Verified CSRs by Buffer object: issue() of the same Buffer does not verify it twice. */
  private readonly verified = new WeakMap<Buffer, ParsedCsr>();

  async verifyCsr(csrDer: Buffer): Promise<ParsedCsr> {
    const csr = await this.pool.verifyCsr(csrDer);
    this.verified.set(csrDer, csr);
    return csr;
  }

  async issue(csrDer: Buffer, grant: Grant): Promise<IssuedCert> {
    const issuer = grant?.issuerId !== undefined ? this.byId.get(grant.issuerId) : this.activeIssuer();
    if (!issuer) throw new AppError('ERR_ISSUER_UNAVAILABLE', `issuer ${String(grant.issuerId).slice(0, 64)} is not loaded`);
    const cert = await issueCertificate(
      this.issueDeps,
      issuer,
      this.chains.get(issuer.record.id) ?? [issuer.record.certDer],
      csrDer,
      grant,
    );
    this.opts.bus.emitLocal('cert.issued', { issuerId: cert.issuerId, serial: cert.serial, profile: cert.profile, deviceId: grant.deviceId ?? null });
    return cert;
  }

  revoke(serial: string, reason: RevocationReason, opts: RevokeOptions): Promise<RevocationResult> {
    const active = this.loaded.find((i) => i.record.status === 'active');
    const { db, audit, bus } = this.opts;
    return revokeCertificate({ db, audit, bus, now: this.now, activeIssuerId: active?.record.id }, serial, reason, opts);
  }

  status(issuerId: string, serial: string): Promise<CertStatus> {
    return statusOf(this.opts.db, this.byId.get(issuerId), serial);
  }

  statusOfCert(certDer: Buffer): Promise<CertStatus> {
    return statusOfCertDer(this.opts.db, this.loaded, certDer);
  }

  async getCert(issuerId: string, serial: string): Promise<CertRecord | null> {
    let s: string;
    try {
      s = normalizeSerial(serial);
    } catch {
      return null;
    }
    return caStore.getCert(this.opts.db, issuerId, s);
  }

  listCerts(filter: CertFilter): Promise<CertRecord[]> {
    return caStore.listCerts(this.opts.db, filter);
  }

  activeIssuer(): LoadedIssuer {
    const a = this.loaded.find((i) => i.record.status === 'active');
    if (!a) throw new AppError('ERR_ISSUER_UNAVAILABLE', 'no active issuing CA');
    return a;
  }

  issuers(): readonly LoadedIssuer[] {
    return this.loaded;
  }

  issuer(id: string): LoadedIssuer | undefined {
    return this.byId.get(id);
  }

  caCertificates(): Buffer[] {
    const a = this.activeIssuer();
    return [a.record.certDer, ...a.record.chainDer];
  }
}

/** The issuer and its parents, without the self-signed root (what a TLS peer sends). */
function chainBelowRoot(issuer: LoadedIssuer): Buffer[] {
  const out = [issuer.record.certDer];
  for (const c of issuer.record.chainDer) {
    const x = new X509Certificate(c);
    if (x.checkIssued(x)) break;
    out.push(c);
  }
  return out;
}
