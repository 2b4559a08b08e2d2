/**
 * CRL fixture: N revoked certificates, the same serials for every side.
 *
 * - Gatehouse: rows in ca_certificates of a real store (`gatehouse init --dev`, SQLite), state
 *   revoked, not expired, each with a 650-byte DER blob and fingerprint so the table is as large
 *   as a real one (the CRL read walks the (issuer_id, state) index and fetches each row).
 *   Inserted with better-sqlite3 directly, synchronous=OFF: seeding is not measured.
 * - openssl ca: index.txt lines `R <expiry> <revoked>[,keyCompromise] <SERIAL> unknown <subject>`.
 * - cfssl gencrl: one serial per line (decimal, as it reads them; cfssl lists no reasons).
 * One in four revocations carries reason keyCompromise (Gatehouse, openssl); the rest are
 * unspecified (no reasonCode extension, RFC 5280 §5.3.1). grow(n) appends up to n entries.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const PREFIX = '5' + randomBytes(12).toString('hex').slice(0, 23); // 24 hex digits, positive, no leading 0
const serialHex = (i: number): string => PREFIX + i.toString(16).padStart(8, '0');
const DER = randomBytes(650);

export interface CrlSeed {
  count: number;
  indexFile: string;
  serialsFile: string;
  grow(n: number): void;
}

function utc(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

export function crlSeed(dir: string, sqlitePath: string, issuerId: string): CrlSeed {
  const indexFile = join(dir, 'index.txt');
  const serialsFile = join(dir, 'serials.txt');
  writeFileSync(indexFile, '');
  writeFileSync(serialsFile, '');
  const now = Math.floor(Date.now() / 1000);
  const notAfter = now + 300 * 86_400;
  const expiry = utc(new Date(notAfter * 1000));
  const seed: CrlSeed = {
    count: 0,
    indexFile,
    serialsFile,
    grow(n: number) {
      const db = new Database(sqlitePath);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = OFF');
      const ins = db.prepare(
        `INSERT INTO ca_certificates (issuer_id, serial, state, profile, device_id, subject, sans, not_before, not_after, der, fingerprint,
           spki_sha256, reserved_at, issued_at, revoked_at, revocation_reason, invalidity_date, hold_released_at, actor)
         VALUES (?, ?, 'revoked', 'device-tls', NULL, ?, '{}', ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, NULL, 'bench:crl')`,
      );
      const idx: string[] = [];
      const ser: string[] = [];
      db.transaction(() => {
        for (let i = seed.count; i < n; i++) {
          const s = serialHex(i);
          const revokedAt = now - 3600 - (i % 86_400);
          const reason = i % 4 === 0 ? 'keyCompromise' : null;
          const fp = createHash('sha1').update(s).digest('hex');
          ins.run(issuerId, s, `CN=device-${i}`, now - 86_400, notAfter, DER, fp, now - 86_400, now - 86_400, revokedAt, reason);
          idx.push(`R\t${expiry}\t${utc(new Date(revokedAt * 1000))}${reason ? ',keyCompromise' : ''}\t${s.toUpperCase()}\tunknown\t/CN=device-${i}\n`);
          ser.push(BigInt(`0x${s}`).toString(10) + '\n');
          if (idx.length >= 50_000) {
            appendFileSync(indexFile, idx.join(''));
            appendFileSync(serialsFile, ser.join(''));
            idx.length = 0;
            ser.length = 0;
          }
        }
      })();
      appendFileSync(indexFile, idx.join(''));
      appendFileSync(serialsFile, ser.join(''));
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      seed.count = Math.max(seed.count, n);
    },
  };
  return seed;
}
