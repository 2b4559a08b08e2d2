#!/usr/bin/env node
// Runs every test file under test/ (unit, integration, interop) with Node's built-in runner and
// tsx. Node 20 has no glob support in `node --test`, so the files are collected here.
// Usage: node scripts/run-tests.mjs [--list] [path-prefix ...]   e.g. test/unit/ca
//
// With GATEHOUSE_TEST_DB=pg (the PostgreSQL pass of CI) only the files that touch a database
// run: a file does when it, or a test-local module it imports (transitively), opens one
// (createTestDb, the `gatehouse` CLI, ...). Pure parser and policy tests would only repeat.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
function collect(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (p.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const DB_MARK = /createTestDb|testDbKind|GATEHOUSE_TEST_DB|helpers\/cli\.ts|PG_URL/;
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
const memo = new Map();
function usesDb(file, seen = new Set()) {
  if (memo.has(file)) return memo.get(file);
  if (seen.has(file)) return false;
  seen.add(file);
  const src = readFileSync(file, 'utf8');
  let hit = DB_MARK.test(src);
  for (const m of src.matchAll(IMPORT)) {
    if (hit) break;
    const target = resolve(dirname(file), m[1] ?? m[2]);
    if (target.startsWith(join(root, 'test')) && existsSync(target)) hit = usesDb(target, seen);
  }
  memo.set(file, hit);
  return hit;
}

const list = process.argv.includes('--list');
const prefixes = process.argv.slice(2).filter((a) => a !== '--list');
let files = collect(join(root, 'test'))
  .filter((f) => prefixes.length === 0 || prefixes.some((p) => f.startsWith(p)))
  .sort();
if (process.env.GATEHOUSE_TEST_DB === 'pg' && prefixes.length === 0) files = files.filter((f) => usesDb(join(root, f)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
if (list) {
  console.log(files.join('\n'));
  process.exit(0);
}
console.error(`running ${files.length} test files${process.env.GATEHOUSE_TEST_DB === 'pg' ? ' (PostgreSQL: database-backed files only)' : ''}`);
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
