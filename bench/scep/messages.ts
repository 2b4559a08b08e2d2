/**
 * The requester side of SCEP PKCSReq (RFC 8894 §3.2), pre-built so that no client process
 * start-up or key generation is timed: the SAME pool of RSA-2048 requester keys (each with a
 * self-signed signer certificate, §2.3) serves both servers, and every message is unique:
 * a fresh PKCS#10 (the device's CN, challengePassword = its one-time token for Gatehouse or the
 * shared challenge scepserver enforces), a fresh AES-128-CBC pkcsPKIEnvelope to the server's
 * decrypter (Gatehouse's RSA RA certificate; scepserver's CA certificate), a fresh
 * transactionID and senderNonce, signed SHA-256 with RSA.
 * Encoding uses the product's DER writers and envelope sealing (enrollment/scep, ca) on the
 * client side; scepserver parsing the very same encoding is the independent check.
 * Message files: 4-byte big-endian length + DER, repeated (written by build-child.ts).
 * isSuccess(): the CertRep's pkiStatus attribute says SUCCESS ('0'), looked up in the bytes.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildCsr, buildTbs, signatureAlgorithmFor, signCertificate } from '../../ca/index.ts';
import { encodeName } from '../../ca/asn1/index.ts';
import { SoftwareSigner } from '../../platform/crypto.ts';
import { OID } from '../../enrollment/scep/attributes.ts';
import { cipherByName } from '../../enrollment/scep/capabilities.ts';
import { certInfo, type CertInfo } from '../../enrollment/scep/cert-info.ts';
import { octets, oid, printable, seq, setOf } from '../../enrollment/scep/der.ts';
import { sealEnvelope } from '../../enrollment/scep/envelope.ts';
import { encodeSignedData, encodeSignerInfo } from '../../enrollment/scep/signed-data.ts';

export interface Requester {
  key: KeyObject;
  signer: SoftwareSigner;
  certDer: Buffer;
  info: CertInfo;
}

/** A requester with a self-signed certificate, as scepclient makes one (RFC 8894 §2.3). */
export function requester(key: KeyObject, n: number): Requester {
  const signer = new SoftwareSigner(key);
  const name = encodeName({ commonName: `SCEP SIGNER ${n}` });
  const serial = randomBytes(8);
  serial[0] = serial[0]! & 0x7f;
  const tbs = buildTbs({
    serial,
    signatureAlgorithm: signatureAlgorithmFor(signer.algorithm),
    issuerDer: name,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 7 * 86_400_000),
    subjectDer: name,
    spkiDer: signer.spki,
    extensions: [],
  });
  const certDer = signCertificate(signer, tbs);
  return { key, signer, certDer, info: certInfo(certDer) };
}

const attr = (type: string, value: Buffer): Buffer => seq(oid(type), setOf([value]));

/** One PKCSReq pkiMessage (ContentInfo SignedData DER). */
export async function pkcsReq(by: Requester, recipient: CertInfo, cn: string, challenge: string): Promise<Buffer> {
  const csr = buildCsr({ signer: by.signer, subjectDer: encodeName({ commonName: cn, organization: 'bench' }), challengePassword: challenge });
  const envelope = sealEnvelope(csr, recipient, cipherByName('aes-128-cbc')!);
  const attrs = [
    attr(OID.contentType, oid(OID.data)),
    attr(OID.messageDigest, octets(createHash('sha256').update(envelope).digest())),
    attr(OID.messageType, printable('19')),
    attr(OID.transactionID, printable(randomBytes(16).toString('hex'))),
    attr(OID.senderNonce, octets(randomBytes(16))),
  ];
  const si = await encodeSignerInfo(by.info, by.key, 'sha256', attrs);
  return encodeSignedData({ digests: ['sha256'], eContent: envelope, certificates: [by.certDer], signerInfos: [si] });
}

export function readMessages(file: string): Buffer[] {
  const b = readFileSync(file);
  const out: Buffer[] = [];
  for (let at = 0; at + 4 <= b.length; ) {
    const n = b.readUInt32BE(at);
    out.push(b.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

export function frame(msgs: Buffer[]): Buffer {
  return Buffer.concat(msgs.flatMap((m) => [Buffer.from([m.length >>> 24, (m.length >>> 16) & 255, (m.length >>> 8) & 255, m.length & 255]), m]));
}

// pkiStatus attribute: OID 2.16.840.1.113733.1.9.3, then SET { PrintableString "0" } (or UTF8String)
const PKI_STATUS = Buffer.from('060a6086480186f845010903', 'hex');
const SUCCESS = [Buffer.from('3103130130', 'hex'), Buffer.from('31030c0130', 'hex')];

export function isSuccess(certRep: Buffer): boolean {
  const at = certRep.indexOf(PKI_STATUS);
  if (at < 0) return false;
  const v = certRep.subarray(at + PKI_STATUS.length, at + PKI_STATUS.length + 5);
  return SUCCESS.some((s) => s.equals(v));
}
