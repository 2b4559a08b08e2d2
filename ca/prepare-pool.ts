/**
 * Runs prepareIssuance() on worker threads so that the main thread keeps the database, the
 * signing key and the group commit busy while another core parses, verifies and lints.
 *
 * Rules enforced:
 * - size 0 runs inline (same function, same errors); `auto` uses one worker per core beyond the
 *   first, at most 4 (measured on 2 cores: the main thread is saturated by store + sign + audit).
 * - Jobs go to the worker with the fewest in flight. Errors come back as the same AppError code.
 * - A worker that dies fails only its own jobs (ERR_INTERNAL) and is replaced; close()
 *   terminates every worker and fails queued jobs with ERR_ISSUER_UNAVAILABLE.
 * - Workers start with the first job and are unref'd while idle: a forgotten close() never
 *   keeps the process alive.
 * - verifyCsr() runs the same parseCsr() (PoP + structure) on a worker, for callers that need
 *   the subject before issuing (enrollment): the main thread never verifies a CSR twice.
 * - Every message is sent through compactViews(): structured clone copies a Buffer's WHOLE
 *   backing ArrayBuffer, and small Buffers are views into 8 KiB pool slabs (or a request's read
 *   buffer), so a 300-byte CSR cost several KiB of copying per field (measured: ~0.5 ms of
 *   postMessage per enrollment before, on the main thread).
 * - Sources run through tsx, and on Node 20 workers inherit neither `--import tsx` nor
 *   tsx's register(): each worker starts from a tiny bootstrap that registers tsx's ESM hooks
 *   and then imports prepare-worker.ts.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../platform/errors.ts';
import { parseCsr, withBuffers, type ParsedCsr } from './csr.ts';
import { prepareIssuance, type PrepareInput, type Prepared } from './prepare.ts';
import type { Profile } from './profiles/index.ts';

interface Pending {
  resolve: (p: Prepared | ParsedCsr) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

type Reply = { id: number; ok: true; value: Prepared | ParsedCsr } | { id: number; ok: false; error: { code: ErrorCode; message: string; detail?: Record<string, unknown> } };

export type PoolSize = number | 'auto';

const BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((m) => { m.register(); return import(${JSON.stringify(new URL('./prepare-worker.ts', import.meta.url).href)}); })`;

export class PreparePool {
  private readonly slots: Slot[] = [];
  private readonly wanted: number;
  private nextId = 1;
  private closed = false;

  /** `profiles` go to each worker once (workerData); jobs then carry only the profile name. */
  constructor(
    size: PoolSize,
    private readonly profiles: readonly Profile[],
  ) {
    this.wanted = size === 'auto' ? Math.min(4, Math.max(0, availableParallelism() - 1)) : Math.max(0, Math.floor(size));
  }

  /** Worker count (workers start on the first job: one-shot CLI commands never pay for them). */
  get size(): number {
    return this.wanted;
  }

  private spawn(): Slot {
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { profiles: this.profiles } });
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (r: Reply) => {
      const p = slot.pending.get(r.id);
      if (!p) return;
      slot.pending.delete(r.id);
      if (slot.pending.size === 0) worker.unref();
      if (r.ok) p.resolve('tbs' in r.value ? { ...r.value, tbs: wrap(r.value.tbs) } : withBuffers(r.value));
      else p.reject(new AppError(r.error.code, r.error.message, r.error.detail ? { detail: r.error.detail } : {}));
    });
    const fail = (e: unknown): void => {
      for (const p of slot.pending.values()) p.reject(new AppError('ERR_INTERNAL', 'issuance worker failed', { cause: e }));
      slot.pending.clear();
      const at = this.slots.indexOf(slot);
      if (at >= 0 && !this.closed) this.slots[at] = this.spawn();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`worker exited with code ${code}`));
    });
    return slot;
  }

  run(input: PrepareInput): Promise<Prepared> {
    if (this.closed) return Promise.reject(new AppError('ERR_ISSUER_UNAVAILABLE', 'CA is shutting down'));
    if (this.wanted === 0) return prepareIssuance(input);
    const { profile, grant, ...rest } = input;
    // functions (Grant.onReserve/onStore) cannot cross threads and the pure step does not need them
    const { onReserve: _onReserve, onStore: _onStore, ...plainGrant } = grant;
    return this.post((id) => ({ id, profile: profile.name, input: { ...rest, grant: plainGrant } })) as Promise<Prepared>;
  }

  /** parseCsr() (structure + proof of possession) on a worker; same errors as inline. */
  verifyCsr(csrDer: Buffer): Promise<ParsedCsr> {
    if (this.closed) return Promise.reject(new AppError('ERR_ISSUER_UNAVAILABLE', 'CA is shutting down'));
    if (this.wanted === 0) return Promise.resolve().then(() => parseCsr(csrDer));
    return this.post((id) => ({ id, csrDer })) as Promise<ParsedCsr>;
  }

  private post(message: (id: number) => unknown): Promise<Prepared | ParsedCsr> {
    while (this.slots.length < this.wanted) this.slots.push(this.spawn());
    let slot = this.slots[0] as Slot;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    return new Promise<Prepared | ParsedCsr>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(compactViews(message(id)));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.slots) {
      for (const p of s.pending.values()) p.reject(new AppError('ERR_ISSUER_UNAVAILABLE', 'CA is shutting down'));
      s.pending.clear();
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}

const wrap = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * A copy of `v` where every Uint8Array that views only part of its ArrayBuffer is replaced by an
 * exact-size copy (plain objects and arrays walked; other values kept). Safe for postMessage.
 */
export function compactViews<T>(v: T): T {
  if (v instanceof Uint8Array) return (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : Uint8Array.prototype.slice.call(v)) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => compactViews(x)) as T;
  if (v === null || typeof v !== 'object' || v instanceof Date) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = compactViews(x);
  return out as T;
}
