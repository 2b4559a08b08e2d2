/**
 * In-memory issuer + profile fixtures for pure CA tests (no database, no files).
 */
import { encodeName } from '../../../ca/asn1/index.ts';
import { buildTbs, signatureAlgorithmFor, tbsFromParts, encodeValidity, encodeExtensions, type TbsParts } from '../../../ca/cert-builder.ts';
import { describeSpki, subjectKeyIdentifier, type KeyInfo } from '../../../ca/csr.ts';
import type { CertExtension } from '../../../ca/extensions.ts';
import type { LintContext } from '../../../ca/lint/index.ts';
import { applyProfile, getProfile, resolveProfiles, type AppliedProfile, type Profile } from '../../../ca/profiles/index.ts';
import { newSerial } from '../../../ca/serial.ts';
import type { Grant } from '../../../ca/types.ts';
import { integer } from '../../../ca/asn1/index.ts';
import { generateKey, SoftwareSigner, type KeyAlgorithm } from '../../../platform/crypto.ts';

export const PUBLIC_URL = 'http://ca.example.test:8080';
export const profiles = resolveProfiles({ publicUrl: PUBLIC_URL });
export const NOW = new Date(Date.UTC(2027, 2, 1, 12, 0, 0));

export function memoryIssuer(alg: KeyAlgorithm = 'P-256') {
  const signer = new SoftwareSigner(generateKey(alg));
  return {
    id: 'feedfacecafebeef',
    signer,
    nameDer: encodeName({ organization: 'Gatehouse Test', commonName: 'Issuing CA' }),
    ski: subjectKeyIdentifier(signer.spki),
    notBefore: new Date(Date.UTC(2026, 0, 1)),
    notAfter: new Date(Date.UTC(2031, 0, 1)),
    signatureAlgorithm: signatureAlgorithmFor(signer.algorithm),
  };
}
export type MemoryIssuer = ReturnType<typeof memoryIssuer>;

export function subjectKey(alg: KeyAlgorithm = 'P-256'): { spkiDer: Buffer; key: KeyInfo } {
  const s = new SoftwareSigner(generateKey(alg));
  return { spkiDer: s.spki, key: describeSpki(s.spki) as KeyInfo };
}

export const grant = (g: Partial<Grant> = {}): Grant => ({
  profile: 'device-tls',
  subject: { commonName: 'dev-1', organization: 'Acme' },
  sans: { dns: ['dev-1.example.com'] },
  actor: 'test',
  ...g,
});

export interface Built {
  profile: Profile;
  issuer: MemoryIssuer;
  key: { spkiDer: Buffer; key: KeyInfo };
  applied: AppliedProfile;
  tbs: Buffer;
  ctx: LintContext;
  /** Rebuild with some fields replaced (encoded parts) and/or the extension list transformed. */
  rebuild(p?: Partial<TbsParts>, exts?: (e: CertExtension[]) => CertExtension[]): Buffer;
}

export function buildGood(g: Partial<Grant> = {}, keyAlg: KeyAlgorithm = 'P-256', issuer = memoryIssuer()): Built {
  const gr = grant(g);
  const profile = getProfile(profiles, gr.profile);
  const key = subjectKey(keyAlg);
  const applied = applyProfile(profile, gr, key, issuer, NOW);
  const serial = newSerial();
  const tbs = buildTbs({ serial: serial.bytes, signatureAlgorithm: issuer.signatureAlgorithm, issuerDer: issuer.nameDer, notBefore: applied.notBefore, notAfter: applied.notAfter, subjectDer: applied.subjectDer, spkiDer: key.spkiDer, extensions: applied.extensions });
  const ctx: LintContext = { profile, issuer, spkiDer: key.spkiDer, serverAuth: gr.serverAuth === true };
  const rebuild = (p: Partial<TbsParts> = {}, exts: (e: CertExtension[]) => CertExtension[] = (e) => e) =>
    tbsFromParts({
      serial: integer(serial.bytes),
      signatureAlgorithm: issuer.signatureAlgorithm,
      issuerDer: issuer.nameDer,
      validity: encodeValidity(applied.notBefore, applied.notAfter),
      subjectDer: applied.subjectDer,
      spkiDer: key.spkiDer,
      extensions: encodeExtensions(exts([...applied.extensions])),
      ...p,
    });
  return { profile, issuer, key, applied, tbs, ctx, rebuild };
}
