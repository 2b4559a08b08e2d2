/**
 * Child process for begin-immediate.test.ts: a second SQLite writer (like a CLI command) on the
 * same file. argv: <sqlite file> <mode>.
 * - mode "one": prints "ready", waits for a line on stdin, prints "writing", runs one withTx that
 *   inserts a row, then prints "committed" or "failed <code>".
 * - mode "audit:<n>": prints "ready", waits for a line, appends n audit entries (one withTx
 *   each, as `gatehouse` commands do), prints "done <ok> <failed> <first error code>".
 */
import { generateKeyPairSync } from 'node:crypto';
import { createInterface } from 'node:readline';
import { AuditLog } from '../../../../platform/audit/index.ts';
import { createDb, withTx } from '../../../../platform/db/index.ts';

const [file, mode = 'one'] = process.argv.slice(2);
const db = await createDb({ sqlitePath: file as string, busyTimeoutMs: 10_000, poolMax: 1 });
await db.raw('select 1');
const codeOf = (e: unknown): string => String((e as { code?: string }).code ?? (e as Error).message);
const say = (line: string): void => void process.stdout.write(line + '\n');
const rl = createInterface({ input: process.stdin });
say('ready');
await new Promise((r) => rl.once('line', r));
if (mode === 'one') {
  say('writing');
  try {
    await withTx(db, (trx) => trx('bi_items').insert({ id: 'child' }));
    say('committed');
  } catch (e) {
    say(`failed ${codeOf(e)}`);
  }
} else {
  const n = Number(mode.split(':')[1]);
  const audit = new AuditLog(db, {
    nodeId: 'cli',
    key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    keyId: 'cli',
    checkpointEvery: 1_000_000,
    checkpointMinutes: 60,
  });
  await audit.init();
  let ok = 0;
  let first = '-';
  for (let i = 0; i < n; i++) {
    try {
      await audit.record({ actor: 'cli', action: 'test.child', target: String(i) });
      ok++;
    } catch (e) {
      if (first === '-') first = codeOf(e);
    }
  }
  say(`done ${ok} ${n - ok} ${first}`);
}
rl.close();
await db.destroy();
