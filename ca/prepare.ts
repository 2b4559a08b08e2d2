/**
 * The pure part of issuance: CSR -> linted to-be-signed certificate. No I/O, no key: it runs on
 * the main thread or in a worker (ca/prepare-pool.ts) with the same result.
 *
 * Rules enforced:
 * - CSR size cap (64 KiB, ERR_CSR_TOO_LARGE) before parsing; parseCsr with the profile's key
 *   policy, which is checked before the proof-of-possession signature (RFC 2986 §3). A CSR that
 *   ca.verifyCsr() already verified (`verified`, same bytes) is not verified again: only the
 *   profile's key policy is checked.
 * - applyProfile: names from the grant, validity and extensions from the profile
 *   (RFC 5280 §4.1.2.4-§4.2, see ca/profiles).
 * - A fresh 127-bit CSPRNG serial (RFC 5280 §4.1.2.2, ca/serial.ts).
 * - The TBS is built with the issuer's signature AlgorithmIdentifier and subject Name and is
 *   linted (ca/lint): any error finding throws ERR_LINT, and the caller then reserves and signs
 *   nothing. Linting before the reservation (rather than after it) means a refused request
 *   leaves no reserved serial behind; the invariant that matters — nothing is signed before its
 *   serial and audit intent are durable — is kept by issue.ts.
 */
import { createHash } from 'node:crypto';
import type { KeyAlgorithm } from '../platform/crypto.ts';
import { AppError } from '../platform/errors.ts';
import { buildTbs, signatureAlgorithmFor } from './cert-builder.ts';
import { checkKeyPolicy } from './csr-key.ts';
import { CSR_MAX_BYTES, parseCsr, withBuffers, type ParsedCsr } from './csr.ts';
import { assertLint } from './lint/index.ts';
import { applyProfile, keyPolicyFor, type Profile } from './profiles/index.ts';
import { newSerial } from './serial.ts';
import type { Grant, SanSpec } from './types.ts';

/** What the pure step needs to know about the issuer (no key). */
export interface PrepareIssuer {
  id: string;
  nameDer: Buffer;
  ski: Buffer;
  notBefore: Date;
  notAfter: Date;
  keyAlgorithm: KeyAlgorithm;
}

export interface PrepareInput {
  csrDer: Buffer;
  grant: Grant;
  profile: Profile;
  issuer: PrepareIssuer;
  now: Date;
  /** parseCsr() of exactly csrDer, proof of possession already checked (CaService.verifyCsr). */
  verified?: ParsedCsr | undefined;
}

export interface Prepared {
  serialHex: string;
  tbs: Buffer;
  subject: string;
  sans: SanSpec;
  notBefore: Date;
  notAfter: Date;
  spkiSha256: string;
}

export async function prepareIssuance(i: PrepareInput): Promise<Prepared> {
  if (!(i.csrDer instanceof Uint8Array)) throw new AppError('ERR_CSR_MALFORMED', 'CSR must be bytes');
  if (i.csrDer.length > CSR_MAX_BYTES) throw new AppError('ERR_CSR_TOO_LARGE', `CSR larger than ${CSR_MAX_BYTES} bytes`);
  let csr: ParsedCsr;
  if (i.verified) {
    csr = withBuffers(i.verified); // Uint8Arrays when it crossed to a worker
    checkKeyPolicy(csr.key, keyPolicyFor(i.profile));
  } else csr = parseCsr(Buffer.from(i.csrDer.buffer, i.csrDer.byteOffset, i.csrDer.byteLength), { keyPolicy: keyPolicyFor(i.profile) });
  const applied = applyProfile(i.profile, i.grant, csr, i.issuer, i.now);
  const serial = newSerial();
  const signatureAlgorithm = signatureAlgorithmFor(i.issuer.keyAlgorithm);
  const tbs = buildTbs({
    serial: serial.bytes,
    signatureAlgorithm,
    issuerDer: i.issuer.nameDer,
    notBefore: applied.notBefore,
    notAfter: applied.notAfter,
    subjectDer: applied.subjectDer,
    spkiDer: csr.spkiDer,
    extensions: applied.extensions,
  });
  const { id, nameDer, ski, notBefore, notAfter } = i.issuer;
  assertLint(tbs, {
    profile: i.profile,
    issuer: { id, nameDer, ski, notBefore, notAfter, signatureAlgorithm },
    spkiDer: csr.spkiDer,
    serverAuth: i.grant.serverAuth === true,
  });
  return {
    serialHex: serial.hex,
    tbs,
    subject: applied.subject,
    sans: applied.sans,
    notBefore: applied.notBefore,
    notAfter: applied.notAfter,
    spkiSha256: createHash('sha256').update(csr.spkiDer).digest('hex'),
  };
}
