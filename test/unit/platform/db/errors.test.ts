/**
 * platform/db/errors.ts: every SQLite and PostgreSQL condition the store can hit maps to the
 * right ERR_STORE_* code with its Retry-After; unique violations are recognised in one place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conflictOrMapped, isUniqueViolation, mapDbError } from '../../../../platform/db/index.ts';
import { AppError, isAppError } from '../../../../platform/errors.ts';

const err = (code: string, message = `driver error ${code}`) => Object.assign(new Error(message), { code });

const TABLE: Array<[string, Error, 'ERR_STORE_BUSY' | 'ERR_STORE_FULL' | 'ERR_STORE_UNAVAILABLE', number]> = [
  // SQLite (better-sqlite3 codes, extended ones included)
  ['SQLITE_BUSY', err('SQLITE_BUSY'), 'ERR_STORE_BUSY', 1],
  ['SQLITE_BUSY_SNAPSHOT', err('SQLITE_BUSY_SNAPSHOT'), 'ERR_STORE_BUSY', 1],
  ['SQLITE_BUSY_TIMEOUT', err('SQLITE_BUSY_TIMEOUT'), 'ERR_STORE_BUSY', 1],
  ['SQLITE_LOCKED', err('SQLITE_LOCKED'), 'ERR_STORE_BUSY', 1],
  ['SQLITE_LOCKED_SHAREDCACHE', err('SQLITE_LOCKED_SHAREDCACHE'), 'ERR_STORE_BUSY', 1],
  ['SQLITE_FULL', err('SQLITE_FULL'), 'ERR_STORE_FULL', 30],
  ['SQLITE_IOERR', err('SQLITE_IOERR'), 'ERR_STORE_FULL', 30],
  ['SQLITE_IOERR_FSYNC', err('SQLITE_IOERR_FSYNC'), 'ERR_STORE_FULL', 30],
  ['SQLITE_IOERR_WRITE', err('SQLITE_IOERR_WRITE'), 'ERR_STORE_FULL', 30],
  // PostgreSQL SQLSTATEs
  ['40001 serialization_failure', err('40001'), 'ERR_STORE_BUSY', 1],
  ['40P01 deadlock_detected', err('40P01'), 'ERR_STORE_BUSY', 1],
  ['55P03 lock_not_available', err('55P03'), 'ERR_STORE_BUSY', 1],
  ['53100 disk_full', err('53100'), 'ERR_STORE_FULL', 30],
  ['53200 out_of_memory', err('53200'), 'ERR_STORE_FULL', 30],
  ['57P01 admin_shutdown', err('57P01'), 'ERR_STORE_UNAVAILABLE', 5],
  ['57P03 cannot_connect_now', err('57P03'), 'ERR_STORE_UNAVAILABLE', 5],
  ['08001 connection failure', err('08001'), 'ERR_STORE_UNAVAILABLE', 5],
  ['08006 connection failure', err('08006'), 'ERR_STORE_UNAVAILABLE', 5],
  // sockets and knex
  ['ECONNREFUSED', err('ECONNREFUSED'), 'ERR_STORE_UNAVAILABLE', 5],
  ['ECONNRESET', err('ECONNRESET'), 'ERR_STORE_UNAVAILABLE', 5],
  ['ETIMEDOUT', err('ETIMEDOUT'), 'ERR_STORE_UNAVAILABLE', 5],
  [
    'pg "Connection terminated unexpectedly"',
    new Error('Connection terminated unexpectedly'),
    'ERR_STORE_UNAVAILABLE',
    5,
  ],
  [
    'knex pool timeout',
    new Error('Knex: Timeout acquiring a connection. The pool is probably full.'),
    'ERR_STORE_BUSY',
    1,
  ],
];

test('driver errors map to ERR_STORE_* with Retry-After (SQLite and PostgreSQL)', () => {
  for (const [name, e, code, retryAfter] of TABLE) {
    const m = mapDbError(e);
    assert.ok(isAppError(m, code), `${name} -> ${code}, got ${String((m as { code?: string }).code)}`);
    assert.equal(m.retryAfter, retryAfter, name);
    assert.equal(m.cause, e, `${name}: the driver error is kept as cause`);
    assert.doesNotMatch(m.message, /SQLITE|driver|[0-9]{5}/, `${name}: safe message`);
  }
});

test('everything else passes through unchanged (callers may recognise driver conditions themselves)', () => {
  for (const e of [
    err('SQLITE_ERROR'),
    err('SQLITE_CONSTRAINT_UNIQUE'),
    err('SQLITE_CONSTRAINT_FOREIGNKEY'),
    err('23505'),
    err('23503'),
    err('42P01'),
    new Error('plain'),
    'text',
    null,
    undefined,
    42,
  ]) {
    assert.equal(mapDbError(e), e);
  }
  const app = new AppError('ERR_CONFLICT', 'mine');
  assert.equal(mapDbError(app), app);
  const odd = { code: 7 };
  assert.equal(mapDbError(odd), odd, 'a non-string code is not a code');
});

test('unique violations are recognised in one place and become ERR_CONFLICT', () => {
  for (const c of ['23505', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']) {
    assert.equal(isUniqueViolation(err(c)), true, c);
    const m = conflictOrMapped(err(c));
    assert.ok(isAppError(m, 'ERR_CONFLICT'), c);
  }
  for (const c of [
    'SQLITE_CONSTRAINT_FOREIGNKEY',
    'SQLITE_CONSTRAINT_NOTNULL',
    'SQLITE_CONSTRAINT',
    '23503',
    '23502',
    'ERR_CONFLICT',
  ]) {
    assert.equal(isUniqueViolation(err(c)), false, c);
  }
  assert.equal(isUniqueViolation(null), false);
  assert.equal(isUniqueViolation(new AppError('ERR_CONFLICT', 'x')), false);
  assert.ok(isAppError(conflictOrMapped(err('SQLITE_BUSY')), 'ERR_STORE_BUSY'), 'other conditions still map');
});
