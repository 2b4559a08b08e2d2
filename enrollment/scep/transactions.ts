/**
 * SCEP transactions: idempotent PKCSReq/RenewalReq and CertPoll lookups (RFC 8894 §3.2.1.1,
 * §3.3.3), on top of store.ts.
 *
 * Rules enforced:
 * - A transaction is (transactionID, scope); scope is `enroll` for PKCSReq and
 *   `renew:<signer cert sha256>` for RenewalReq (clients such as micromdm derive the
 *   transactionID from the key and keep the key across renewals, so a renewal signed by a newer
 *   certificate is a new transaction).
 * - The first request inserts a leased row (status pending) before anything is issued; the
 *   primary key picks one owner among racing duplicates. Whoever processes a row holds a lease
 *   (lease_until, `staleMs`) taken by compare-and-set; finish() records the outcome and drops it.
 * - A repeated transactionID with the same CSR: success -> replay the stored certificate;
 *   leased by another worker -> PENDING (the client polls); pending for approval -> resume;
 *   failure -> processed again (a refused request may succeed after an admin acts). A lease
 *   that expired (crash mid-request) is taken over.
 * - A different CSR under a known transactionID (same scope) is a conflict -> badRequest.
 * - A CertPoll only sees transactions whose request was signed by the same key (RFC 8894
 *   §3.3.3: the poll is signed like the request); nothing found -> badCertId.
 */
import { createHash } from 'node:crypto';
import { GroupCommit, type Db, type Tx } from '../../platform/db/index.ts';
import { MESSAGE_TYPE } from './attributes.ts';
import { scepStore as store, type ScepTxPatch, type ScepTxRow } from './store.ts';

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export interface TxRequest {
  transactionId: string;
  messageType: typeof MESSAGE_TYPE.PKCSReq | typeof MESSAGE_TYPE.RenewalReq;
  signerCertDer: Buffer;
  /** SubjectPublicKeyInfo DER of the signer key. */
  signerSpkiDer: Buffer;
  csrDer: Buffer;
  label: string | undefined;
}

/** Compare-and-set token for the row this worker owns. */
export interface TxHandle {
  transactionId: string;
  scope: string;
  updatedAt: number;
}

export type TxStart =
  | { kind: 'new'; handle: TxHandle }
  | { kind: 'resume'; handle: TxHandle; row: ScepTxRow }
  | { kind: 'replay'; row: ScepTxRow }
  | { kind: 'busy' }
  | { kind: 'conflict' };

export type TxOutcome =
  | { status: 'success'; issuerId: string; serial: string }
  | { status: 'pending'; requestId: string }
  | { status: 'failure'; failInfo: string };

export class ScepTransactions {
  /** Row writes of concurrent requests share one durable commit (platform/db GroupCommit). */
  private readonly group: GroupCommit;
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly staleMs = 120_000,
  ) {
    this.group = new GroupCommit(db, { maxBatch: 128 });
  }

  static scopeOf(messageType: number, signerCertDer: Buffer): string {
    return messageType === MESSAGE_TYPE.RenewalReq ? `renew:${sha256Hex(signerCertDer)}` : 'enroll';
  }

  async begin(r: TxRequest): Promise<TxStart> {
    const scope = ScepTransactions.scopeOf(r.messageType, r.signerCertDer);
    const now = this.now();
    const signer = { signer_fp: sha256Hex(r.signerCertDer), signer_key_fp: sha256Hex(r.signerSpkiDer) };
    const row: ScepTxRow = {
      transaction_id: r.transactionId,
      scope,
      message_type: r.messageType,
      ...signer,
      csr_fp: sha256Hex(r.csrDer),
      csr_der: r.csrDer,
      label: r.label ?? null,
      status: 'pending',
      issuer_id: null,
      serial: null,
      fail_info: null,
      request_id: null,
      lease_until: now + this.staleMs,
      created_at: now,
      updated_at: now,
    };
    if (await this.group.run((trx) => store.insert(trx, row))) return { kind: 'new', handle: { transactionId: r.transactionId, scope, updatedAt: now } };
    const cur = await store.get(this.db, r.transactionId, scope);
    if (!cur) return { kind: 'busy' };
    if (cur.csr_fp !== row.csr_fp) return { kind: 'conflict' };
    if (cur.status === 'success') return { kind: 'replay', row: cur };
    if (cur.status === 'pending' && cur.request_id) {
      const handle = await this.claim(cur);
      return handle ? { kind: 'resume', handle, row: cur } : { kind: 'busy' };
    }
    // failure, or an abandoned in-flight row (lease expired): process again under this worker
    const handle = await this.claim(cur, { status: 'pending', fail_info: null, request_id: null, ...signer });
    return handle ? { kind: 'new', handle } : { kind: 'busy' };
  }

  /**
   * Takes the row for this worker: only when nobody holds a live lease, and by compare-and-set
   * on updated_at, so of two racing claimers one wins. null -> someone else is on it.
   */
  async claim(cur: ScepTxRow, patch: ScepTxPatch = {}): Promise<TxHandle | null> {
    const now = this.now();
    if (this.leased(cur)) return null;
    const updatedAt = Math.max(now, cur.updated_at + 1);
    const key = { transactionId: cur.transaction_id, scope: cur.scope };
    const lease = { ...patch, lease_until: now + this.staleMs, updated_at: updatedAt };
    const ok = await this.group.run((trx) => store.update(trx, key, cur.updated_at, lease));
    return ok ? { ...key, updatedAt } : null;
  }

  /** Records the result and drops the lease; false when another worker took the row meanwhile. */
  finish(h: TxHandle, o: TxOutcome): Promise<boolean> {
    return this.group.run((trx) => this.finishIn(trx, h, o));
  }

  /**
   * finish() inside a caller's transaction: a success is recorded in the very transaction that
   * stores the certificate (Grant.onStore), saving one durable commit per enrollment.
   */
  finishIn(trx: Tx, h: TxHandle, o: TxOutcome): Promise<boolean> {
    const patch: ScepTxPatch =
      o.status === 'success'
        ? { status: 'success', issuer_id: o.issuerId, serial: o.serial, fail_info: null }
        : o.status === 'pending'
          ? { status: 'pending', request_id: o.requestId }
          : { status: 'failure', fail_info: o.failInfo };
    const key = { transactionId: h.transactionId, scope: h.scope };
    const updatedAt = Math.max(this.now(), h.updatedAt + 1);
    return store.update(trx, key, h.updatedAt, { ...patch, lease_until: null, updated_at: updatedAt });
  }

  /** Waits for queued row writes; later writes are refused. */
  close(): Promise<void> {
    return this.group.close();
  }

  /** True while some worker holds the row (a poll then answers PENDING). */
  leased(row: ScepTxRow): boolean {
    return row.lease_until !== null && row.lease_until > this.now();
  }

  /** The transaction a CertPoll refers to: same transactionID, request signed by the same key. */
  async forPoll(transactionId: string, signerSpkiDer: Buffer): Promise<ScepTxRow | null> {
    const fp = sha256Hex(signerSpkiDer);
    const rows = await store.byTransaction(this.db, transactionId);
    return rows.find((r) => r.signer_key_fp === fp) ?? null;
  }
}
