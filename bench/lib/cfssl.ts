/**
 * The cfssl peer (Debian golang-cfssl 1.2): `cfssl serve` for the sign API, with or without its
 * sqlite certificate database, and `cfssl ocspsign` + `cfssl ocspserve` for pre-signed OCSP.
 *
 * Setup (our own, from cfssl's documentation): cfssl signs with Gatehouse's P-256 issuing key
 * and certificate (exported by gatehouse.ts), profile "client" (digital signature, key
 * encipherment, client auth, 8760h) — the counterpart of Gatehouse's device-tls. The certdb is
 * cfssl's sqlite schema (certificates + ocsp_responses) in a fresh file; cfssl then inserts every
 * signed certificate before answering (go-sqlite3 defaults: rollback journal, synchronous=FULL).
 * Quirk: ocspserve's GET is broken in this build (the path is decoded with its leading '/'),
 * so OCSP against cfssl is measured with POST only.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, run, start, waitListening, type Started, type Wrap } from './proc.ts';
import type { GhPki } from './gatehouse.ts';

const SCHEMA = `
CREATE TABLE certificates (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  ca_label blob, status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp,
  pem blob NOT NULL, PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  body blob NOT NULL, expiry timestamp, PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier)
  REFERENCES certificates(serial_number, authority_key_identifier));`;

export interface CfsslServe extends Started {
  url: string;
  /** Certificates stored in its database (null without one). */
  stored(): number | null;
}

function writeConfig(dir: string): string {
  const file = join(dir, 'cfssl-config.json');
  const client = { expiry: '8760h', usages: ['digital signature', 'key encipherment', 'client auth'] };
  writeFileSync(file, JSON.stringify({ signing: { default: client, profiles: { client } } }));
  return file;
}

/** `cfssl serve` on 127.0.0.1 with our issuing CA; `db` adds a fresh sqlite certdb. */
export async function cfsslServe(cfssl: string, pki: GhPki, o: { dir: string; logDir: string; db: boolean; wrap?: Wrap }): Promise<CfsslServe> {
  const port = freePort();
  const args = ['serve', '-address', '127.0.0.1', '-port', String(port), '-ca', pki.issuingCertFile, '-ca-key', pki.issuingKeyFile, '-config', writeConfig(o.dir), '-loglevel', '3'];
  let dbFile: string | null = null;
  if (o.db) {
    dbFile = join(o.dir, `cfssl-certdb-${port}.db`);
    const db = new Database(dbFile);
    db.exec(SCHEMA);
    db.close();
    const cfg = join(o.dir, `cfssl-db-${port}.json`);
    writeFileSync(cfg, JSON.stringify({ driver: 'sqlite3', data_source: dbFile }));
    args.push('-db-config', cfg);
  }
  const s = start(`cfssl-serve-${o.db ? 'db' : 'nodb'}`, cfssl, args, { logDir: o.logDir, ...(o.wrap ? { wrap: o.wrap } : {}) });
  await waitListening(port, o.wrap);
  return {
    ...s,
    url: `http://127.0.0.1:${port}`,
    stored() {
      if (!dbFile) return null;
      const db = new Database(dbFile, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM certificates').get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
  };
}

/** The body of a cfssl sign request for `csrPem` under profile "client". */
export const signBody = (csrPem: string): string => JSON.stringify({ certificate_request: csrPem, profile: 'client' });

/** One pre-signed OCSP response (base64 DER) from `cfssl ocspsign` (one process per certificate). */
export async function ocspSign(cfssl: string, o: { issuerFile: string; responderFile: string; responderKeyFile: string; certFile: string }): Promise<string> {
  const out = await run(cfssl, ['ocspsign', '-ca', o.issuerFile, '-responder', o.responderFile, '-responder-key', o.responderKeyFile, '-cert', o.certFile, '-status', 'good', '-loglevel', '3']);
  const j = JSON.parse(out) as { ocspResponse?: string };
  if (!j.ocspResponse) throw new Error(`cfssl ocspsign: ${out.slice(0, 300)}`);
  return j.ocspResponse;
}

/** `cfssl ocspserve` answering from a file of base64 responses (one per line). */
export async function ocspServe(cfssl: string, o: { responsesFile: string; logDir: string; wrap?: Wrap }): Promise<Started & { url: string }> {
  const port = freePort();
  const s = start('cfssl-ocspserve', cfssl, ['ocspserve', '-address', '127.0.0.1', '-port', String(port), '-responses', o.responsesFile, '-loglevel', '3'], {
    logDir: o.logDir,
    ...(o.wrap ? { wrap: o.wrap } : {}),
  });
  await waitListening(port, o.wrap);
  return { ...s, url: `http://127.0.0.1:${port}` };
}
