/**
 * Export and offline verification of the audit log as JSONL.
 *
 * Format (one JSON object per line):
 *   {"type":"header","format":"gatehouse-audit/1","exportedAt":..,"keys":[{"keyId","publicPem"}]}
 *   {"type":"entry", seq, ts, node, actor, action, target, data, prevHash, hash}
 *   {"type":"checkpoint", seq, hash, ts, keyId, signature}   (right after the entry it covers)
 * The verifier needs nothing but the file: it recomputes every hash and checks every signature
 * with the public keys in the header (which an auditor should compare with keys obtained
 * out of band, e.g. `gatehouse audit keys`).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { Db } from '../db/index.ts';
import { ChainVerifier, type AuditEntry, type Checkpoint, type VerifyResult } from './chain.ts';
import { auditStore } from './store.ts';

async function write(out: Writable, line: string): Promise<void> {
  if (!out.write(line + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
}

export async function exportAudit(db: Db, out: Writable): Promise<{ entries: number; checkpoints: number }> {
  const keys = await auditStore.keys(db);
  const cps = new Map((await auditStore.checkpoints(db)).map((c) => [c.seq, c]));
  await write(out, JSON.stringify({ type: 'header', format: 'gatehouse-audit/1', exportedAt: new Date().toISOString(), keys }));
  let n = 0;
  let c = 0;
  for await (const e of auditStore.entries(db)) {
    await write(out, JSON.stringify({ type: 'entry', ...e }));
    n++;
    const cp = cps.get(e.seq);
    if (cp) {
      await write(out, JSON.stringify({ type: 'checkpoint', ...cp }));
      c++;
    }
  }
  return { entries: n, checkpoints: c };
}

export async function verifyAuditExport(input: Readable): Promise<VerifyResult & { lineOfFirstBad?: number }> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let v: ChainVerifier | null = null;
  let lineNo = 0;
  let badLine: number | undefined;
  for await (const line of rl) {
    lineNo++;
    if (!line.trim()) continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return { ok: false, entries: 0, checkpoints: 0, lastSeq: 0, firstBad: { seq: 0, reason: `line ${lineNo} is not JSON` }, lineOfFirstBad: lineNo };
    }
    if (obj.type === 'header') {
      const keys = new Map<string, KeyObject>();
      for (const k of (obj.keys as Array<{ keyId: string; publicPem: string }>) ?? []) keys.set(k.keyId, createPublicKey(k.publicPem));
      v = new ChainVerifier(keys);
      continue;
    }
    if (!v) return { ok: false, entries: 0, checkpoints: 0, lastSeq: 0, firstBad: { seq: 0, reason: 'missing header line' }, lineOfFirstBad: lineNo };
    const before = !v.failed;
    if (obj.type === 'entry') v.entry(obj as unknown as AuditEntry);
    else if (obj.type === 'checkpoint') v.checkpoint(obj as unknown as Checkpoint);
    if (before && v.failed && badLine === undefined) badLine = lineNo;
  }
  if (!v) return { ok: false, entries: 0, checkpoints: 0, lastSeq: 0, firstBad: { seq: 0, reason: 'empty export' } };
  const r = v.result();
  return badLine === undefined ? r : { ...r, lineOfFirstBad: badLine };
}
