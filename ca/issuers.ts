/**
 * Issuing CAs: registration, rollover, retirement and loading with their keys unlocked.
 *
 * Rules enforced:
 * - An issuer certificate must be a CA: basicConstraints cA TRUE (critical), keyUsage with
 *   keyCertSign and cRLSign (RFC 5280 §4.2.1.9, §4.2.1.3), an SKI (§4.2.1.2), signed by the
 *   first certificate of its chain, whose last certificate is self-signed (the root).
 * - Issuer id = first 16 hex digits of SHA-256 of its SubjectPublicKeyInfo: stable across
 *   re-certification of the same key, different for a new key.
 * - Rollover: registering a new issuer makes it `active` and the previous active one
 *   `retiring`, in one transaction with the audit entry; a retiring issuer keeps serving
 *   status/CRL/OCSP for its certificates until the last of them expired, then retireExpired()
 *   marks it `retired` (no longer loaded).
 * - Loading: keys are decrypted with the passphrase (platform/crypto loadEncryptedKey,
 *   ERR_KEY_LOCKED on failure) and must match the certificate's public key.
 * - OCSP CertID hashes (RFC 6960 §4.1.1): issuerNameHash over the DER of the issuer's subject,
 *   issuerKeyHash over the subjectPublicKey BIT STRING value, both SHA-1 and SHA-256.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { AuditLog } from '../platform/audit/index.ts';
import { loadEncryptedKey, type Signer } from '../platform/crypto.ts';
import { withTx, type Db } from '../platform/db/index.ts';
import { AppError } from '../platform/errors.ts';
import { formatName, OID, parseDerExact, readBitString, readOctetString } from './asn1/index.ts';
import { findExtension, parseCertificate, readBasicConstraints, type ParsedCertificate } from './cert-parse.ts';
import { describeSpki } from './csr.ts';
import { keyTypeOf } from './profiles/index.ts';
import { caStore } from './store.ts';
import type { IssuerRecord, LoadedIssuer } from './types.ts';

export const issuerIdOf = (spkiDer: Buffer): string => createHash('sha256').update(spkiDer).digest('hex').slice(0, 16);

const bad = (msg: string): AppError => new AppError('ERR_BAD_INPUT', msg);

function parseIssuerCert(certDer: Buffer): ParsedCertificate {
  let c: ParsedCertificate;
  try {
    c = parseCertificate(certDer);
  } catch (e) {
    throw new AppError('ERR_BAD_INPUT', 'issuer certificate is not a valid DER certificate', { cause: e });
  }
  const bc = findExtension(c.tbs, OID.basicConstraints);
  if (!bc || !readBasicConstraints(bc.value).ca) throw bad('issuer certificate is not a CA (basicConstraints cA)');
  const ku = findExtension(c.tbs, OID.keyUsage);
  const kuByte = ku ? (readBitString(ku.value, parseDerExact(ku.value)).bytes[0] ?? 0) : 0; // bits 0..7
  if (!ku || !(kuByte & 0x04) || !(kuByte & 0x02)) throw bad('issuer certificate lacks keyCertSign/cRLSign');
  if (!findExtension(c.tbs, OID.subjectKeyIdentifier)) throw bad('issuer certificate has no subjectKeyIdentifier');
  return c;
}

function checkChain(certDer: Buffer, chainDer: readonly Buffer[]): void {
  if (chainDer.length === 0) throw bad('issuer chain must end with the root');
  const all = [certDer, ...chainDer].map((d) => new X509Certificate(d));
  for (let i = 0; i < all.length; i++) {
    const child = all[i] as X509Certificate;
    const parent = all[i + 1] ?? child;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) throw bad(`chain certificate ${i} is not signed by the next one`);
  }
}

/** The issuer record for a CA certificate (not stored). */
export function issuerRecordOf(certDer: Buffer, chainDer: readonly Buffer[], keyFile: string, status: IssuerRecord['status']): IssuerRecord {
  const c = parseIssuerCert(certDer);
  const skiExt = findExtension(c.tbs, OID.subjectKeyIdentifier) as { value: Buffer };
  const key = describeSpki(c.tbs.spkiDer);
  const keyAlgorithm = key.kind === 'unsupported' ? null : keyTypeOf(key);
  if (!keyAlgorithm) throw new AppError('ERR_KEY_POLICY', 'unsupported issuer key');
  return {
    id: issuerIdOf(c.tbs.spkiDer),
    subject: formatName(c.tbs.subjectDer),
    certDer: Buffer.from(certDer),
    chainDer: chainDer.map((d) => Buffer.from(d)),
    ski: Buffer.from(readOctetString(skiExt.value, parseDerExact(skiExt.value))),
    keyAlgorithm,
    keyFile,
    status,
    notBefore: c.tbs.notBefore,
    notAfter: c.tbs.notAfter,
  };
}

export interface RegisterIssuerInput {
  certDer: Buffer;
  /** Parents up to and including the root. */
  chainDer: Buffer[];
  keyFile: string;
  actor: string;
  /** When given, the key is unlocked and checked against the certificate before registering. */
  passphrase?: string;
  now?: Date;
}

/** Registers a new active issuer; the previous active one becomes `retiring` (rollover). */
export async function registerIssuer(db: Db, audit: AuditLog, input: RegisterIssuerInput): Promise<IssuerRecord> {
  checkChain(input.certDer, input.chainDer);
  const rec = issuerRecordOf(input.certDer, input.chainDer, input.keyFile, 'active');
  if (input.passphrase !== undefined) toLoadedIssuer(rec, loadEncryptedKey(input.keyFile, input.passphrase));
  const now = input.now ?? new Date();
  await withTx(db, async (trx) => {
    const existing = await caStore.listIssuers(trx);
    if (existing.some((i) => i.id === rec.id)) throw new AppError('ERR_CONFLICT', `issuer ${rec.id} is already registered`);
    for (const prev of existing.filter((i) => i.status === 'active')) {
      await caStore.setIssuerStatus(trx, prev.id, 'retiring');
      await audit.append(trx, { actor: input.actor, action: 'ca.issuer.status', target: prev.id, data: { status: 'retiring', supersededBy: rec.id } });
    }
    await caStore.insertIssuer(trx, rec, now);
    await audit.append(trx, {
      actor: input.actor,
      action: 'ca.issuer.register',
      target: rec.id,
      data: { subject: rec.subject, keyAlgorithm: rec.keyAlgorithm, notAfter: rec.notAfter.toISOString() },
    });
  });
  return rec;
}

/** Marks retiring issuers whose every certificate has expired as `retired`; returns their ids (once, across nodes). */
export async function retireExpired(db: Db, audit: AuditLog, now: Date = new Date(), actor = 'system'): Promise<string[]> {
  const done: string[] = [];
  for (const i of await caStore.listIssuers(db, ['retiring'])) {
    const last = await caStore.maxCertNotAfter(db, i.id);
    if (last !== null && last * 1000 > now.getTime()) continue;
    const changed = await withTx(db, async (trx) => {
      // another node may have retired it meanwhile: only the one that moves it records it
      if ((await caStore.setIssuerStatus(trx, i.id, 'retired', 'retiring')) !== 1) return false;
      await audit.append(trx, { actor, action: 'ca.issuer.status', target: i.id, data: { status: 'retired' } });
      return true;
    });
    if (changed) done.push(i.id);
  }
  return done;
}

export function toLoadedIssuer(record: IssuerRecord, signer: Signer): LoadedIssuer {
  const { tbs } = parseCertificate(record.certDer);
  if (!signer.spki.equals(tbs.spkiDer)) throw new AppError('ERR_KEY_LOCKED', `key file ${record.keyFile} does not match issuer ${record.id}`);
  const h = (alg: string, b: Buffer): Buffer => createHash(alg).update(b).digest();
  return {
    record,
    signer,
    nameDer: tbs.subjectDer,
    nameHash: { sha1: h('sha1', tbs.subjectDer), sha256: h('sha256', tbs.subjectDer) },
    keyHash: { sha1: h('sha1', tbs.publicKeyBits), sha256: h('sha256', tbs.publicKeyBits) },
  };
}

/**
 * Every non-retired issuer with its key unlocked (active first, then retiring, oldest first).
 * `loaded`: issuers already unlocked; one with the same id, certificate and key file keeps its
 * signer (only its record, e.g. the status, is refreshed).
 */
export async function loadIssuers(db: Db, passphrase: string, loaded?: ReadonlyMap<string, LoadedIssuer>): Promise<LoadedIssuer[]> {
  const recs = await caStore.listIssuers(db, ['active', 'retiring']);
  recs.sort((a, b) => (a.status === b.status ? 0 : a.status === 'active' ? -1 : 1));
  return recs.map((r) => {
    const had = loaded?.get(r.id);
    const signer = had && had.record.keyFile === r.keyFile && had.record.certDer.equals(r.certDer) ? had.signer : loadEncryptedKey(r.keyFile, passphrase);
    return toLoadedIssuer(r, signer);
  });
}
