/**
 * The hash chain, independent of storage (used by the database verifier and the offline
 * verifier of exported JSONL alike).
 *
 * Rules:
 * - hash_n = SHA-256( prev_hash_hex "\n" seq "\n" canonicalJson(body) ), prev of seq 1 = 64 zeros.
 * - body = { ts, node, actor, action, target, data }: everything an entry says is covered.
 * - Sequence numbers are contiguous from 1; a gap is a deleted entry.
 * - A checkpoint signs "gatehouse-audit-checkpoint\n" seq "\n" hash with the audit key (ECDSA
 *   P-256, SHA-256, DER signature), so a verifier holding only the public key can tell that the
 *   log up to seq is what the service wrote.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical.ts';

export const GENESIS = '0'.repeat(64);

export interface AuditBody {
  ts: string;
  node: string;
  actor: string;
  action: string;
  target: string | null;
  data: unknown;
}

export interface AuditEntry extends AuditBody {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface Checkpoint {
  seq: number;
  hash: string;
  ts: string;
  keyId: string;
  signature: string; // base64 DER
}

export function entryHash(prevHash: string, seq: number, body: AuditBody): string {
  const b = { ts: body.ts, node: body.node, actor: body.actor, action: body.action, target: body.target, data: body.data };
  return createHash('sha256').update(`${prevHash}\n${seq}\n${canonicalJson(b)}`).digest('hex');
}

const checkpointMessage = (seq: number, hash: string) => Buffer.from(`gatehouse-audit-checkpoint\n${seq}\n${hash}`);

export function signCheckpoint(key: KeyObject, keyId: string, seq: number, hash: string, ts: string): Checkpoint {
  const signature = sign('sha256', checkpointMessage(seq, hash), key).toString('base64');
  return { seq, hash, ts, keyId, signature };
}

export function verifyCheckpoint(pub: KeyObject, cp: Checkpoint): boolean {
  try {
    return verify('sha256', checkpointMessage(cp.seq, cp.hash), pub, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  checkpoints: number;
  lastSeq: number;
  firstBad?: { seq: number; reason: string };
}

/**
 * Incremental verifier: feed entries in seq order; checkpoints either before (they wait for
 * their entry) or right after the entry they cover. Memory stays flat for any log size.
 */
export class ChainVerifier {
  private prev = GENESIS;
  private expectSeq = 1;
  private count = 0;
  private cps = 0;
  private bad: { seq: number; reason: string } | undefined;
  private readonly pending = new Map<number, Checkpoint>();

  constructor(private readonly keys: Map<string, KeyObject>) {}

  entry(e: AuditEntry): void {
    if (this.bad) return;
    if (e.seq !== this.expectSeq) return this.fail(this.expectSeq, `missing entry (next present is ${e.seq})`);
    if (e.prevHash !== this.prev) return this.fail(e.seq, 'prev_hash does not match the previous entry');
    if (entryHash(e.prevHash, e.seq, e) !== e.hash) return this.fail(e.seq, 'hash does not match the entry content');
    this.prev = e.hash;
    this.expectSeq++;
    this.count++;
    const cp = this.pending.get(e.seq);
    if (cp) {
      this.pending.delete(e.seq);
      this.checkpoint(cp);
    }
  }

  checkpoint(cp: Checkpoint): void {
    if (this.bad) return;
    const key = this.keys.get(cp.keyId);
    if (!key) return this.fail(cp.seq, `checkpoint signed by unknown key ${cp.keyId}`);
    if (!verifyCheckpoint(key, cp)) return this.fail(cp.seq, 'checkpoint signature is invalid');
    const last = this.expectSeq - 1;
    if (cp.seq > last) {
      this.pending.set(cp.seq, cp);
      return;
    }
    if (cp.seq < last) return this.fail(cp.seq, 'checkpoint out of order');
    if (cp.hash !== this.prev) return this.fail(cp.seq, 'entry hash differs from the signed checkpoint');
    this.cps++;
  }

  /** The stored head must match the last entry (detects a truncated tail). */
  head(seq: number, hash: string): void {
    if (this.bad) return;
    const last = this.expectSeq - 1;
    if (seq !== last) return this.fail(Math.min(seq, last + 1), `head says seq ${seq}, log ends at ${last}`);
    if (seq > 0 && hash !== this.prev) this.fail(seq, 'head hash differs from the last entry');
  }

  get failed(): boolean {
    return this.bad !== undefined;
  }

  private fail(seq: number, reason: string): void {
    this.bad = { seq, reason };
  }

  result(): VerifyResult {
    if (!this.bad && this.pending.size > 0) {
      const seq = Math.min(...this.pending.keys());
      this.fail(seq, 'a signed checkpoint names an entry that is missing (log truncated)');
    }
    const r: VerifyResult = { ok: !this.bad, entries: this.count, checkpoints: this.cps, lastSeq: this.expectSeq - 1 };
    if (this.bad) r.firstBad = this.bad;
    return r;
  }
}
