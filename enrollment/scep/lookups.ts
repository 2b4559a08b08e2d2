/**
 * GetCert and GetCRL (RFC 8894 §3.3.4, §3.3.5): certificate and CRL retrieval by
 * IssuerAndSerialNumber, answered inside an RA-signed CertRep enveloped to the requester.
 *
 * Rules enforced:
 * - The issuer is matched byte-for-byte on the issuer Name of one of our loaded issuers (RFC
 *   5652 §10.2.4 IssuerAndSerialNumber); an unknown issuer or serial -> badCertId.
 * - GetCert is answered only to a device: the request must be signed by a current, good
 *   certificate of ours (ca.statusOfCert also matches the stored fingerprint, so a forged
 *   look-alike is `unknown`), and the requested certificate must belong to the same inventory
 *   device. Any other certificate gets the same badCertId as a serial that does not exist,
 *   so GetCert cannot be used to probe which serials exist.
 * - GetCRL returns the newest complete CRL of the issuer named in the request, when the server
 *   was given a CRL source; otherwise FAILURE. CRLs are public: any signer may ask.
 */
import { AppError } from '../../platform/errors.ts';
import type { CertificateAuthority, LoadedIssuer } from '../../ca/index.ts';
import type { PkiMessage } from './message.ts';
import type { Answer } from './requests.ts';

/** What GetCRL needs from ca/crl's CrlService (structurally compatible with it). */
export interface ScepCrlSource {
  latest(issuerId: string): Promise<{ der: Buffer } | null>;
}

export interface LookupDeps {
  ca: CertificateAuthority;
  crlSource?: ScepCrlSource | undefined;
}

const noSuchCert = (): AppError => new AppError('ERR_CERT_UNKNOWN', 'no such certificate');

function issuerNamed(ca: CertificateAuthority, issuerDer: Buffer): LoadedIssuer | undefined {
  return ca.issuers().find((i) => i.nameDer.equals(issuerDer));
}

function issuerAndSerialOf(msg: PkiMessage): { issuerDer: Buffer; serialHex: string } {
  if (!msg.issuerAndSerial) throw new AppError('ERR_BAD_INPUT', 'no IssuerAndSerialNumber in the request');
  return msg.issuerAndSerial;
}

/** GetCert (21): the requester's own device certificate by issuer + serial. */
export async function getCert(d: LookupDeps, msg: PkiMessage): Promise<Answer> {
  const { issuerDer, serialHex } = issuerAndSerialOf(msg);
  const signer = await d.ca.statusOfCert(msg.signerCertDer);
  if (signer.state !== 'good' || !signer.record.deviceId) {
    throw new AppError('ERR_FORBIDDEN', 'GetCert must be signed with a current device certificate');
  }
  const issuer = issuerNamed(d.ca, issuerDer);
  if (!issuer) throw noSuchCert();
  const rec = await d.ca.getCert(issuer.record.id, serialHex);
  if (!rec?.der || rec.deviceId !== signer.record.deviceId) throw noSuchCert();
  return { status: 'SUCCESS', issuedCertDer: rec.der, caChainDer: [] };
}

/** GetCRL (22): the newest CRL of the issuer named in the request. */
export async function getCrl(d: LookupDeps, msg: PkiMessage): Promise<Answer> {
  const { issuerDer } = issuerAndSerialOf(msg);
  if (!d.crlSource) throw new AppError('ERR_NOT_FOUND', 'GetCRL is not offered by this server');
  const issuer = issuerNamed(d.ca, issuerDer);
  if (!issuer) throw noSuchCert();
  const crl = await d.crlSource.latest(issuer.record.id);
  if (!crl) throw new AppError('ERR_ISSUER_UNAVAILABLE', 'no CRL published yet');
  return { status: 'SUCCESS', crlDer: crl.der };
}
