/**
 * platform/crypto writeFileAtomic: the content is fsync'd before the rename and the directory
 * after it (an issuing key written just before a power failure must not come back empty or
 * missing); the mode is exact; a failed write leaves the old file in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../platform/crypto.ts';

/** Records fsync/rename calls (on the fs module and, via syncBuiltinESMExports, its named exports). */
function recordFsCalls<T>(fn: (events: string[]) => T): T {
  const events: string[] = [];
  const { fsyncSync, renameSync } = fs;
  fs.fsyncSync = (fd: number) => {
    events.push(fs.fstatSync(fd).isDirectory() ? 'fsync dir' : `fsync file (${fs.fstatSync(fd).size} bytes)`);
    fsyncSync(fd);
  };
  fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
    events.push('rename');
    renameSync(from, to);
  };
  syncBuiltinESMExports();
  try {
    return fn(events);
  } finally {
    fs.fsyncSync = fsyncSync;
    fs.renameSync = renameSync;
    syncBuiltinESMExports();
  }
}

test('writeFileAtomic fsyncs the file before the rename and the directory after it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-atomic-'));
  try {
    const file = join(dir, 'sub', 'issuing.key.pem');
    const events = recordFsCalls((ev) => {
      writeFileAtomic(file, 'secret key bytes');
      return ev;
    });
    assert.deepEqual(events, ['fsync file (16 bytes)', 'rename', 'fsync dir']);
    assert.equal(readFileSync(file, 'utf8'), 'secret key bytes');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(join(dir, 'sub')), ['issuing.key.pem'], 'no temporary file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic sets the exact mode even over a stale temporary file, and keeps the old file when writing fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-atomic-'));
  try {
    const file = join(dir, 'root.crl');
    writeFileSync(`${file}.tmp-${process.pid}`, 'stale', { mode: 0o666 });
    writeFileAtomic(file, Buffer.from([1, 2, 3]), 0o644);
    assert.equal(statSync(file).mode & 0o777, 0o644);
    assert.deepEqual(readFileSync(file), Buffer.from([1, 2, 3]));
    const { fsyncSync } = fs;
    fs.fsyncSync = () => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    };
    syncBuiltinESMExports();
    try {
      assert.throws(() => writeFileAtomic(file, Buffer.from([9, 9]), 0o644), /EIO/);
    } finally {
      fs.fsyncSync = fsyncSync;
      syncBuiltinESMExports();
    }
    assert.deepEqual(readFileSync(file), Buffer.from([1, 2, 3]), 'old content kept');
    assert.deepEqual(fs.readdirSync(dir), ['root.crl'], 'temporary file removed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
