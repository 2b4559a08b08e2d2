/**
 * Core configuration sections: node identity, data directory, database, logging, listeners.
 * Defaults are safe for one process on one machine (SQLite in ./data, loopback listeners).
 */
import { z } from 'zod';

export const listener = (port: number) =>
  z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(port),
  });

export const dbSection = z.strictObject({
  /** postgres://user@host:port/db — when set, PostgreSQL is used instead of SQLite. */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /** PostgreSQL schema (search_path); lets several test runs share one database. */
  schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
  /** SQLite file; default <dataDir>/gatehouse.sqlite. */
  sqlitePath: z.string().optional(),
  /** Milliseconds SQLite waits on a lock before answering busy. */
  busyTimeoutMs: z.number().int().min(0).default(5000),
  poolMax: z.number().int().min(1).max(100).default(10),
});

export const logSection = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  pretty: z.boolean().default(false),
});

export const httpSection = z.strictObject({
  ...listener(8080).shape,
  /** Base URL that devices and relying parties use to reach CRL/OCSP/CA-issuers (put in certificates). */
  publicUrl: z.url().default('http://127.0.0.1:8080'),
  /** Largest request body accepted by any plain-HTTP endpoint, in bytes. */
  maxBodyBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
  requestTimeoutMs: z.number().int().min(1000).default(30_000),
  headersTimeoutMs: z.number().int().min(1000).default(10_000),
  keepAliveTimeoutMs: z.number().int().min(100).default(5_000),
});

export const adminSection = z.strictObject({
  ...listener(9090).shape,
});

export const auditSection = z.strictObject({
  /** Write a signed checkpoint every N entries ... */
  checkpointEvery: z.number().int().min(1).default(1000),
  /** ... or every T minutes when entries were added. */
  checkpointMinutes: z.number().min(0.01).default(10),
});
