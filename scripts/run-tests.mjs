#!/usr/bin/env node
// Runs every test file under test/ (unit, integration, interop) with Node's built-in runner and
// tsx. Node 20 has no glob support in `node --test`, so the files are collected here.
// Usage: node scripts/run-tests.mjs [path-prefix ...]   e.g. test/unit/ca
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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
const prefixes = process.argv.slice(2);
const files = collect(join(root, 'test'))
  .filter((f) => prefixes.length === 0 || prefixes.some((p) => f.startsWith(p)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
