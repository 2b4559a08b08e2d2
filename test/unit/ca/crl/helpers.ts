/**
 * Test helpers for ca/crl: throwaway issuers (software key + Name + SKI, no issuance core needed),
 * the slice of CertificateAuthority that ca/crl uses, and direct certificate-row inserts.
 * Real-client tests use the real issuance core instead (interop-fixture.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { generateKey, SoftwareSigner, type KeyAlgorithm } from '../../../../platform/crypto.ts';
import * as der from '../../../../ca/asn1/index.ts';
import type { CrlIssuer } from '../../../../ca/crl/index.ts';
import type { CertificateAuthority, IssuerStatus, LoadedIssuer } from '../../../../ca/types.ts';
import type { Db } from '../../../../platform/db/index.ts';

/** SHA-1 of the subjectPublicKey BIT STRING value (RFC 5280 §4.2.1.2 (1)). */
export function skiOf(spki: Buffer): Buffer {
  const f = der.children(spki, der.parseDerExact(spki));
  return createHash('sha1').update(der.readBitString(spki, f[1]!).bytes).digest();
}

export function softIssuer(alg: KeyAlgorithm = 'P-256', cn = 'CRL Test Issuing CA'): CrlIssuer {
  const signer = new SoftwareSigner(generateKey(alg));
  return {
    signer,
    nameDer: der.encodeName({ organization: 'Gatehouse Test', commonName: cn }),
    ski: skiOf(signer.spki),
  };
}

export const randomSerial = (): string => {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex').replace(/^0+/, '');
};

/** A LoadedIssuer around a CrlIssuer (hashes are not needed by ca/crl). */
export function loadedIssuer(
  id: string,
  ci: CrlIssuer,
  opts: { certDer?: Buffer; status?: IssuerStatus; notAfter?: Date } = {},
): LoadedIssuer {
  const z = Buffer.alloc(20);
  return {
    record: {
      id,
      subject: 'CN=CRL Test Issuing CA',
      certDer: opts.certDer ?? Buffer.from([0x30, 0x00]),
      chainDer: [],
      ski: ci.ski,
      keyAlgorithm: ci.signer.algorithm,
      keyFile: '/dev/null',
      status: opts.status ?? 'active',
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: opts.notAfter ?? new Date(Date.now() + 365 * 86_400_000),
    },
    signer: ci.signer,
    nameDer: ci.nameDer,
    nameHash: { sha1: z, sha256: z },
    keyHash: { sha1: z, sha256: z },
  };
}

/** The part of CertificateAuthority that ca/crl uses, over a fixed list of issuers. */
export function fakeCa(issuers: LoadedIssuer[]): Pick<CertificateAuthority, 'issuer' | 'issuers'> {
  return { issuers: () => issuers, issuer: (id: string) => issuers.find((i) => i.record.id === id) };
}

/** Inserts the ca_issuers row the CRL tables reference. */
export async function insertIssuerRow(db: Db, l: LoadedIssuer): Promise<void> {
  const r = l.record;
  await db('ca_issuers').insert({
    id: r.id,
    subject: r.subject,
    cert_der: r.certDer,
    chain_der_b64: '[]',
    ski: r.ski.toString('hex'),
    key_algorithm: r.keyAlgorithm,
    key_file: r.keyFile,
    status: r.status,
    not_before: Math.floor(r.notBefore.getTime() / 1000),
    not_after: Math.floor(r.notAfter.getTime() / 1000),
    created_at: new Date().toISOString(),
  });
}

export interface CertRowInput {
  serial?: string;
  state?: 'reserved' | 'issued' | 'revoked';
  /** Epoch seconds (null: reserved, never issued). */
  notAfter?: number | null;
  revokedAt?: number | null;
  reason?: string | null;
  invalidityDate?: number | null;
  holdReleasedAt?: number | null;
}

/** Inserts certificate rows directly (the issuance core is not needed to test CRLs). */
export async function insertCerts(db: Db, issuerId: string, rows: CertRowInput[]): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const out = rows.map((r) => ({
    issuer_id: issuerId,
    serial: r.serial ?? randomSerial(),
    state: r.state ?? 'issued',
    profile: 'device-tls',
    device_id: null,
    subject: 'CN=dev',
    sans: '{}',
    not_before: r.notAfter === null ? null : now - 3600,
    not_after: r.notAfter === undefined ? now + 30 * 86_400 : r.notAfter,
    reserved_at: now - 3600,
    revoked_at: r.revokedAt ?? null,
    revocation_reason: r.reason ?? null,
    invalidity_date: r.invalidityDate ?? null,
    hold_released_at: r.holdReleasedAt ?? null,
    actor: 'test',
  }));
  for (let i = 0; i < out.length; i += 500) await db('ca_certificates').insert(out.slice(i, i + 500));
  return out.map((r) => r.serial);
}
