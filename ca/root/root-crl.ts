/**
 * Offline ceremony: the root's CRL (revoked issuing CA certificates), built on the DER writer.
 * (ca/crl's builder always writes an IssuingDistributionPoint with onlyContainsUserCerts, which
 * is right for issuing CAs and wrong for a root whose CRL covers CA certificates.)
 *
 * Rules enforced:
 * - RFC 5280 §5.1: CertificateList { tbsCertList, signatureAlgorithm, signatureValue }; v2;
 *   the signature AlgorithmIdentifier of the root key in both places; issuer = root subject.
 * - §5.1.2.4/.5: thisUpdate now, nextUpdate = now + nextUpdateDays (1..400), UTCTime through
 *   2049 and GeneralizedTime after, whole seconds.
 * - §5.1.2.6: the entries are the revocation ledger (revoked.ts: `<dir>/revoked.json`, merged
 *   with this run's serials, append-only, each revocationDate fixed when first recorded);
 *   revokedCertificates omitted when empty; reasonCode (§5.3.1) omitted for unspecified, never
 *   removeFromCRL in a complete CRL.
 * - §5.2.1 AKI = root SKI; §5.2.3 cRLNumber strictly increasing, persisted in the folder before
 *   the CRL is returned. No IDP: a full, unscoped CRL.
 * - The ledger is persisted before the CRL is signed; the signature is verified with the root
 *   key before the CRL is written to root.crl.
 */
import { verify } from 'node:crypto';
import { writeFileAtomic } from '../../platform/crypto.ts';
import { AppError } from '../../platform/errors.ts';
import { enumerated, explicit, integer, OID, seq, time } from '../asn1/index.ts';
import { assembleCertificate, signatureAlgorithmFor } from '../cert-builder.ts';
import { authorityKeyId, encodeExtension } from '../extensions.ts';
import { serialBytes } from '../serial.ts';
import { REVOCATION_REASONS } from '../types.ts';
import { checkPassphrase } from './create-root.ts';
import { loadRoot, nextCrlNumber, rootFiles } from './files.ts';
import { mergeRevocations, readLedger, writeLedger, type LedgerEntry, type RootRevocation } from './revoked.ts';

export type { RootRevocation } from './revoked.ts';

export interface RootCrlInput {
  dir: string;
  passphrase: string;
  revokedSerials: ReadonlyArray<string | RootRevocation>;
  nextUpdateDays?: number;
  now?: Date;
}

export interface RootCrl {
  der: Buffer;
  number: bigint;
  /** Revoked certificates listed (the whole ledger, not only this run's serials). */
  entries: number;
  file: string;
  thisUpdate: Date;
  nextUpdate: Date;
}

const whole = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

function entry(r: LedgerEntry): Buffer {
  const code = REVOCATION_REASONS[r.reason];
  const parts = [integer(serialBytes(r.serial)), time(new Date(r.revokedAt))];
  if (code !== 0) parts.push(seq(encodeExtension({ oid: OID.reasonCode, critical: false, value: enumerated(code) })));
  return seq(...parts);
}

export function rootCrl(input: RootCrlInput): RootCrl {
  checkPassphrase(input.passphrase);
  const days = input.nextUpdateDays ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 400) throw new AppError('ERR_BAD_INPUT', 'nextUpdateDays must be 1..400');
  const root = loadRoot(input.dir, input.passphrase);
  const thisUpdate = whole(input.now ?? new Date());
  const nextUpdate = new Date(thisUpdate.getTime() + days * 86_400_000);
  const ledger = mergeRevocations(readLedger(input.dir), input.revokedSerials, thisUpdate);
  const entries = ledger.map(entry);
  writeLedger(input.dir, ledger);
  const number = nextCrlNumber(input.dir);
  const sigAlg = signatureAlgorithmFor(root.signer.algorithm);
  const exts = seq(encodeExtension(authorityKeyId(root.ski)), encodeExtension({ oid: OID.cRLNumber, critical: false, value: integer(number) }));
  const fields = [integer(1), sigAlg, root.cert.tbs.subjectDer, time(thisUpdate), time(nextUpdate)];
  if (entries.length) fields.push(seq(...entries));
  fields.push(explicit(0, exts));
  const tbs = seq(...fields);
  const signature = root.signer.sign(tbs);
  if (!verify(root.signer.digest, tbs, root.signer.publicKey, signature)) throw new AppError('ERR_INTERNAL', 'root CRL signature does not verify');
  const der = assembleCertificate(tbs, sigAlg, signature);
  const file = rootFiles(input.dir).crl;
  writeFileAtomic(file, der, 0o644);
  return { der, number, entries: entries.length, file, thisUpdate, nextUpdate };
}
