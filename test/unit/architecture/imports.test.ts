/**
 * Architecture rules that a reviewer would otherwise have to remember (ARCHITECTURE.md):
 * - the online process never loads the root key: no import path from `serve` reaches ca/root/;
 * - nothing imports cli/; ca/ never imports enrollment/; radius-bridge and ztna-broker never
 *   import each other; platform/ imports none of the four domains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(IMPORT)) out.push(resolve(dirname(file), (m[1] ?? m[2])!));
  return out;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('no import path from the serve composition reaches ca/root (the root key stays offline)', () => {
  const seen = new Set<string>();
  // `serve --dev` may run the development ceremony (init.ts) before the node starts; the running
  // node is cli/node.ts, and its import graph must not contain ca/root.
  const stack = [join(ROOT, 'cli', 'node.ts')];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    assert.ok(!relative(ROOT, f).startsWith(join('ca', 'root')), `cli/node.ts reaches ${relative(ROOT, f)}`);
    for (const i of importsOf(f)) stack.push(i);
  }
  assert.ok(seen.size > 20, 'the walk found the node graph');
});

const rules: Array<[string, string[]]> = [
  ['platform', ['ca', 'enrollment', 'radius-bridge', 'ztna-broker', 'cli']],
  ['ca', ['enrollment', 'radius-bridge', 'ztna-broker', 'cli']],
  ['enrollment', ['radius-bridge', 'ztna-broker', 'cli']],
  ['radius-bridge', ['ztna-broker', 'cli']],
  ['ztna-broker', ['radius-bridge', 'cli']],
];

for (const [from, banned] of rules) {
  test(`${from}/ imports none of ${banned.join(', ')}`, () => {
    for (const f of sources(join(ROOT, from))) {
      for (const i of importsOf(f)) {
        const top = relative(ROOT, i).split('/')[0]!;
        assert.ok(!banned.includes(top), `${relative(ROOT, f)} imports ${relative(ROOT, i)}`);
      }
    }
  });
}
