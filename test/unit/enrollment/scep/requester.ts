/**
 * A SCEP requester for the service tests (RFC 8894 §3.2 client side): RSA key, self-signed
 * signer certificate, PKCS#10 with challengePassword, pkiMessages signed by pkijs (client.ts)
 * and enveloped to the RA, and a CertRep reader that checks the RA signature with pkijs and
 * opens the SUCCESS envelope with the requester key. The interop tests use real clients.
 */
import { X509Certificate, createCipheriv, createHash, generateKeyPair, randomBytes, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SoftwareSigner } from '../../../../platform/crypto.ts';
import { buildCsr, buildTbs, signatureAlgorithmFor, signCertificate, type SubjectSpec } from '../../../../ca/index.ts';
import { encodeName } from '../../../../ca/asn1/index.ts';
import { certInfo } from '../../../../enrollment/scep/cert-info.ts';
import { cipherByName, type ContentEncryption } from '../../../../enrollment/scep/capabilities.ts';
import { algId, ctx, integer, octets, oid, seq, setOf, tlv } from '../../../../enrollment/scep/der.ts';
import { openEnvelope, sealEnvelope } from '../../../../enrollment/scep/envelope.ts';
import { encryptContentKey } from '../../../../enrollment/scep/key-transport.ts';
import { OIDS, readSignedAttrs, signPkiMessage } from './client.ts';

export interface Requester {
  key: KeyObject;
  keyPem: string;
  certDer: Buffer;
  signer: SoftwareSigner;
}

/**
 * RSA-2048 generation costs 0.2–1.5 s on a small CI machine, so requesters take keys from a
 * pool made once, in parallel, per test process; consecutive calls never return the same key.
 */
const POOL: KeyObject[] = await Promise.all(
  Array.from({ length: 6 }, () => promisify(generateKeyPair)('rsa', { modulusLength: 2048 }).then((k) => k.privateKey)),
);
let next = 0;
export const rsaKey = (): KeyObject => POOL[next++ % POOL.length]!;

/** A requester with a self-signed certificate (RFC 8894 §2.3). */
export function selfSigned(key: KeyObject = rsaKey(), cn = 'SCEP SIGNER'): Requester {
  const signer = new SoftwareSigner(key);
  const name = encodeName({ commonName: cn });
  const serial = randomBytes(8);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = buildTbs({
    serial,
    signatureAlgorithm: signatureAlgorithmFor(signer.algorithm),
    issuerDer: name,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 86_400_000),
    subjectDer: name,
    spkiDer: signer.spki,
    extensions: [],
  });
  return withCert(key, signCertificate(signer, tbs));
}

/** A requester that signs with an existing certificate (RenewalReq, GetCert). */
export function withCert(key: KeyObject, certDer: Buffer): Requester {
  return { key, keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), certDer, signer: new SoftwareSigner(key) };
}

export function csrOf(r: Requester, o: { challenge?: string; subject?: SubjectSpec } = {}): Buffer {
  const subjectDer = encodeName(o.subject ?? { commonName: 'asked-by-device' });
  return buildCsr({ signer: r.signer, subjectDer, ...(o.challenge !== undefined ? { challengePassword: o.challenge } : {}) });
}

export interface MessageOptions {
  raDer: Buffer;
  content: Buffer;
  type: 17 | 19 | 20 | 21 | 22;
  txid: string;
  by: Requester;
  cipher?: ContentEncryption;
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-512';
  nonce?: Buffer;
}

/** Single-DES EnvelopedData as a legacy client builds it (sealEnvelope refuses to). */
function desEnvelope(content: Buffer, raDer: Buffer): Buffer {
  const ra = certInfo(raDer);
  const [k, iv] = [randomBytes(8), randomBytes(8)];
  const c = createCipheriv('des-ede3-cbc', Buffer.concat([k, k, k]), iv); // K1=K2=K3: single DES
  const ct = Buffer.concat([c.update(content), c.final()]);
  const kt = encryptContentKey(ra.publicKey, k);
  const ktri = seq(integer(0), seq(ra.issuerDer, ra.serialDer), kt.algId, octets(kt.encryptedKey));
  const eci = seq(oid(OIDS.data), algId('1.3.14.3.2.7', octets(iv)), tlv(0x80, ct));
  return seq(oid('1.2.840.113549.1.7.3'), ctx(0, seq(integer(0), setOf([ktri]), eci)));
}

function envelope(content: Buffer, raDer: Buffer, cipher: ContentEncryption): Buffer {
  if (cipher === 'des-cbc') return desEnvelope(content, raDer);
  return sealEnvelope(content, certInfo(raDer), cipherByName(cipher)!);
}

export async function pkiMessage(o: MessageOptions & { envelopeDer?: Buffer }): Promise<Buffer> {
  return signPkiMessage({
    envelope: o.envelopeDer ?? envelope(o.content, o.raDer, o.cipher ?? 'aes-128-cbc'),
    messageType: o.type,
    transactionId: o.txid,
    signerCertDer: o.by.certDer,
    signerKeyPem: o.by.keyPem,
    hash: o.hash ?? 'SHA-256',
    ...(o.nonce ? { senderNonce: o.nonce } : {}),
  });
}

/** IssuerAndSerialNumber (GetCert / GetCRL) and IssuerAndSubject (CertPoll) of a certificate. */
export function issuerAndSerial(certDer: Buffer): Buffer {
  const i = certInfo(certDer);
  return seq(i.issuerDer, i.serialDer);
}
export function issuerAndSubject(issuerDer: Buffer, subjectDer: Buffer): Buffer {
  return seq(issuerDer, subjectDer);
}

export interface Reply {
  status: 'SUCCESS' | 'FAILURE' | 'PENDING';
  failInfo?: string;
  failInfoText?: string;
  transactionId: string;
  recipientNonce: Buffer;
  certs: Buffer[];
  crls: Buffer[];
  contentEncryption?: string;
}

const HASHES: Record<string, string> = { '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.3': 'sha512' };
const STATUS = { '0': 'SUCCESS', '2': 'FAILURE', '3': 'PENDING' } as const;
const FAIL = ['badAlg', 'badMessageCheck', 'badRequest', 'badTime', 'badCertId'];
const str = (v: asn1js.AsnType | undefined): string => (v as asn1js.PrintableString | undefined)?.valueBlock.value ?? '';

/** Reads a CertRep: RA signature verified (pkijs), attributes, and the SUCCESS payload. */
export async function readReply(der: Buffer, r: Requester, raDer: Buffer): Promise<Reply> {
  const { attrs, sd } = readSignedAttrs(der);
  // pkijs cannot verify an empty detached content (FAILURE/PENDING), so check by hand:
  // messageDigest over the content (or ''), then the RSA signature over the DER SET of attributes.
  const si = sd.signerInfos[0]!;
  const hash = HASHES[si.digestAlgorithm.algorithmId];
  const content = Buffer.from(sd.encapContentInfo.eContent?.getValue() ?? new ArrayBuffer(0));
  const md = Buffer.from((attrs.get(OIDS.messageDigest) as asn1js.OctetString).valueBlock.valueHexView);
  if (!hash || !createHash(hash).update(content).digest().equals(md)) throw new Error('CertRep messageDigest mismatch');
  const signed = Buffer.from(si.signedAttrs!.toSchema().toBER());
  signed[0] = 0x31;
  const sig = Buffer.from(si.signature.valueBlock.valueHexView);
  if (!verify(hash, signed, new X509Certificate(raDer).publicKey, sig)) throw new Error('CertRep not signed by the RA');
  if (str(attrs.get(OIDS.messageType)) !== '3') throw new Error('not a CertRep');
  const status = STATUS[str(attrs.get(OIDS.pkiStatus)) as keyof typeof STATUS];
  const fi = attrs.get(OIDS.failInfo);
  const text = attrs.get('1.3.6.1.5.5.7.24.1') as asn1js.Utf8String | undefined;
  const reply: Reply = {
    status,
    ...(fi ? { failInfo: FAIL[Number(str(fi))] ?? str(fi) } : {}),
    ...(text ? { failInfoText: text.valueBlock.value } : {}),
    transactionId: str(attrs.get(OIDS.transactionID)),
    recipientNonce: Buffer.from((attrs.get(OIDS.recipientNonce) as asn1js.OctetString).valueBlock.valueHexView),
    certs: [],
    crls: [],
  };
  const e = sd.encapContentInfo.eContent;
  if (status !== 'SUCCESS' || !e) return reply;
  const opened = openEnvelope(Buffer.from(e.getValue()), { cert: certInfo(r.certDer), key: r.key }, false);
  const inner = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(opened.plaintext).content });
  reply.certs = (inner.certificates ?? []).map((c) => Buffer.from((c as pkijs.Certificate).toSchema().toBER()));
  reply.crls = (inner.crls ?? []).map((c) => Buffer.from((c as pkijs.CertificateRevocationList).toSchema().toBER()));
  reply.contentEncryption = opened.contentEncryption;
  return reply;
}

export const subjectOf = (der: Buffer): string => new X509Certificate(der).subject;
export const serialOf = (der: Buffer): string => new X509Certificate(der).serialNumber;
