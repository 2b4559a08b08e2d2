/**
 * Offline ceremony, step 2: the root certifies an issuing CA from its CSR.
 *
 * Rules enforced:
 * - The CSR (RFC 2986) is parsed strictly and its proof of possession verified (ca/csr.ts);
 *   issuing keys are EC P-256/P-384/P-521 or RSA 3072..4096. The CSR's requested extensions
 *   are ignored: the ceremony decides them.
 * - §4.1.2.6: subject from the CSR (or the operator's override), never empty.
 * - §4.1.2.5: validity inside the root's; notBefore backdated 5 min.
 * - §4.2.1.9: basicConstraints cA TRUE, pathLenConstraint (default 0: the issuing CA signs only
 *   end entities), critical. §4.2.1.3: keyUsage keyCertSign + cRLSign (+ digitalSignature
 *   on request, for a CA that signs OCSP responses itself), critical.
 * - §4.2.1.2 SKI of the issuing key; §4.2.1.1 AKI = the root's SKI.
 * - §4.2.1.10: nameConstraints, critical, when given (root/name-constraints.ts).
 * - §4.2.1.13 / §4.2.2.1: CRL distribution point and caIssuers of the root when given.
 * - The new certificate's signature is verified with the root key before it is returned, and a
 *   line is appended to the root folder's ledger.
 */
import { verify } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { encodeName, formatName } from '../asn1/index.ts';
import { buildTbs, signatureAlgorithmFor, signCertificate } from '../cert-builder.ts';
import { parseCertificate } from '../cert-parse.ts';
import { parseCsr, subjectKeyIdentifier } from '../csr.ts';
import * as ext from '../extensions.ts';
import { newSerial } from '../serial.ts';
import type { SubjectSpec } from '../types.ts';
import { addYears, checkPassphrase } from './create-root.ts';
import { loadRoot, recordIssued } from './files.ts';
import { nameConstraints as encodeNameConstraints, type NameConstraintsInput } from './name-constraints.ts';

export interface SignIssuingInput {
  dir: string;
  passphrase: string;
  csrDer: Buffer;
  validityYears?: number;
  pathLen?: number;
  nameConstraints?: NameConstraintsInput;
  subject?: SubjectSpec;
  digitalSignature?: boolean;
  /** Where the root CRL will be published (cRLDistributionPoints of the issuing CA). */
  crlUrl?: string;
  /** Where the root certificate is published (AIA caIssuers). */
  caIssuersUrl?: string;
  now?: Date;
}

export interface SignedIssuing {
  certDer: Buffer;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export async function signIssuing(input: SignIssuingInput): Promise<SignedIssuing> {
  checkPassphrase(input.passphrase);
  const years = input.validityYears ?? 5;
  const pathLen = input.pathLen ?? 0;
  if (!Number.isInteger(years) || years < 1 || years > 20) throw new AppError('ERR_BAD_INPUT', 'issuing validityYears must be 1..20');
  if (!Number.isInteger(pathLen) || pathLen < 0 || pathLen > 4) throw new AppError('ERR_BAD_INPUT', 'pathLen must be 0..4');
  const root = loadRoot(input.dir, input.passphrase);
  const csr = await parseCsr(input.csrDer, { keyPolicy: { rsa: { minBits: 3072, maxBits: 4096 }, ec: ['P-256', 'P-384', 'P-521'], ed25519: false } });
  const subjectDer = input.subject ? encodeName(input.subject) : csr.subjectDer;
  if (subjectDer.length === 2) throw new AppError('ERR_BAD_INPUT', 'issuing CA subject must not be empty');

  const now = input.now ?? new Date();
  const rt = root.cert.tbs;
  const t = Math.floor(now.getTime() / 1000) * 1000;
  const notBefore = new Date(Math.max(t - 5 * 60_000, rt.notBefore.getTime()));
  const notAfter = new Date(Math.min(addYears(new Date(t), years).getTime(), rt.notAfter.getTime()));
  if (notAfter <= notBefore || t > rt.notAfter.getTime()) throw new AppError('ERR_ISSUER_UNAVAILABLE', 'root certificate is expired or not yet valid');

  const extensions: ext.CertExtension[] = [
    ext.basicConstraints(true, pathLen),
    ext.keyUsage(input.digitalSignature ? ['digitalSignature', 'keyCertSign', 'cRLSign'] : ['keyCertSign', 'cRLSign']),
    ext.subjectKeyId(subjectKeyIdentifier(csr.spkiDer)),
    ext.authorityKeyId(root.ski),
  ];
  if (input.nameConstraints) extensions.push(encodeNameConstraints(input.nameConstraints));
  if (input.crlUrl) extensions.push(ext.crlDistributionPoints([input.crlUrl]));
  if (input.caIssuersUrl) extensions.push(ext.authorityInfoAccess({ caIssuers: [input.caIssuersUrl] }));

  const serial = newSerial();
  const tbs = buildTbs({
    serial: serial.bytes,
    signatureAlgorithm: signatureAlgorithmFor(root.signer.algorithm),
    issuerDer: rt.subjectDer,
    notBefore,
    notAfter,
    subjectDer,
    spkiDer: csr.spkiDer,
    extensions,
  });
  const certDer = signCertificate(root.signer, tbs);
  const signed = parseCertificate(certDer);
  if (!verify(root.signer.digest, signed.tbsDer, root.signer.publicKey, signed.signature)) throw new AppError('ERR_INTERNAL', 'issuing certificate signature does not verify');
  recordIssued(input.dir, { serial: serial.hex, subject: formatName(subjectDer), notAfter: notAfter.toISOString(), signedAt: now.toISOString() });
  return { certDer, serial: serial.hex, notBefore, notAfter };
}
