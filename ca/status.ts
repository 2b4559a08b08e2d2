/**
 * Live certificate status for OCSP, RADIUS and the broker (fail closed).
 *
 * Rules enforced:
 * - Read from the store on every call (no cache here; OCSP caches its own signed responses).
 * - issued -> good; revoked (including certificateHold) -> revoked with the real reason and
 *   date (RFC 6960 §2.2, RFC 5280 §5.3.1); reserved (never handed out) and anything unknown
 *   (unknown issuer, retired issuer, unknown or malformed serial) -> unknown, which every
 *   caller treats as deny. Store failures propagate as ERR_STORE_* (callers answer tryLater /
 *   reject), never as good.
 * - statusOfCert() finds the issuer by the certificate's authorityKeyIdentifier (RFC 5280
 *   §4.2.1.1), else by issuer name plus a signature check, and answers unknown when the
 *   presented DER differs from the stored one (same serial, different certificate).
 */
import { createHash, verify } from 'node:crypto';
import { OID } from './asn1/index.ts';
import { akiKeyId, findExtension, parseCertificate, type ParsedCertificate } from './cert-parse.ts';
import { normalizeSerial, serialHex } from './serial.ts';
import { caStore } from './store.ts';
import type { Db } from '../platform/db/index.ts';
import type { CertRecord, CertStatus, LoadedIssuer } from './types.ts';

const UNKNOWN: CertStatus = Object.freeze({ state: 'unknown' }) as CertStatus;

export function statusOfRecord(rec: CertRecord | null): CertStatus {
  if (!rec) return UNKNOWN;
  if (rec.state === 'issued') return { state: 'good', record: rec };
  if (rec.state === 'revoked' && rec.revokedAt && rec.revocationReason) {
    return { state: 'revoked', revokedAt: rec.revokedAt, reason: rec.revocationReason, record: rec };
  }
  return UNKNOWN;
}

export async function statusOf(db: Db, issuer: LoadedIssuer | undefined, serialIn: string): Promise<CertStatus> {
  if (!issuer) return UNKNOWN;
  let serial: string;
  try {
    serial = normalizeSerial(serialIn);
  } catch {
    return UNKNOWN;
  }
  return statusOfRecord(await caStore.getCert(db, issuer.record.id, serial));
}

function signedBy(cert: ParsedCertificate, issuer: LoadedIssuer): boolean {
  try {
    return verify(issuer.signer.digest, cert.tbsDer, issuer.signer.publicKey, cert.signature);
  } catch {
    return false;
  }
}

/** The loaded issuer that issued `cert`, by AKI, else by name + signature. */
export function issuerOfCert(cert: ParsedCertificate, issuers: readonly LoadedIssuer[]): LoadedIssuer | undefined {
  const aki = findExtension(cert.tbs, OID.authorityKeyIdentifier);
  let kid: Buffer | undefined;
  try {
    kid = aki ? akiKeyId(aki.value) : undefined;
  } catch {
    return undefined;
  }
  if (kid) return issuers.find((i) => i.record.ski.equals(kid));
  return issuers.filter((i) => i.nameDer.equals(cert.tbs.issuerDer)).find((i) => signedBy(cert, i));
}

export async function statusOfCertDer(db: Db, issuers: readonly LoadedIssuer[], certDer: Buffer): Promise<CertStatus> {
  let cert: ParsedCertificate;
  try {
    cert = parseCertificate(certDer);
  } catch {
    return UNKNOWN;
  }
  const issuer = issuerOfCert(cert, issuers);
  const sc = cert.tbs.serialContent;
  if (!issuer || (sc[0] as number) & 0x80) return UNKNOWN;
  const st = await statusOf(db, issuer, serialHex(sc));
  if (st.state === 'unknown') return st;
  const fp = createHash('sha256').update(cert.der).digest('hex');
  if (st.record.fingerprint && st.record.fingerprint !== fp) return UNKNOWN;
  return st;
}
