/**
 * Client side of RFC 8894 §3.2 for the tests, independent of enrollment/scep: pkiMessages signed
 * by pkijs over Node's webcrypto, envelopes assembled with pkijs classes when a test must choose
 * the bytes itself, and a pkijs reader for the signed attributes of our CertReps.
 */
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

type EngineCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];
pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: crypto.webcrypto as unknown as EngineCrypto }));

export const OIDS = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionID: '2.16.840.1.113733.1.9.7',
};

export interface SignOptions {
  envelope: Buffer;
  messageType: number | string;
  transactionId?: string;
  senderNonce?: Buffer;
  signerCertDer: Buffer;
  signerKeyPem: string;
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-512';
  /** Replace or add attribute values (raw asn1js values) by OID; `null` drops the attribute. */
  attrs?: Record<string, asn1js.AsnType[] | null>;
}

/** A pkiMessage (ContentInfo DER) signed with pkijs, the client side of RFC 8894 §3.2. */
export async function signPkiMessage(o: SignOptions): Promise<Buffer> {
  const hash = o.hash ?? 'SHA-256';
  const cert = pkijs.Certificate.fromBER(o.signerCertDer);
  const digest = crypto.createHash(hash.replace('-', '').toLowerCase()).update(o.envelope).digest();
  const values: Record<string, asn1js.AsnType[] | null> = {
    [OIDS.contentType]: [new asn1js.ObjectIdentifier({ value: OIDS.data })],
    [OIDS.messageDigest]: [new asn1js.OctetString({ valueHex: digest })],
    [OIDS.transactionID]: [new asn1js.PrintableString({ value: o.transactionId ?? 'tx-0001' })],
    [OIDS.messageType]: [new asn1js.PrintableString({ value: String(o.messageType) })],
    [OIDS.senderNonce]: [new asn1js.OctetString({ valueHex: o.senderNonce ?? crypto.randomBytes(16) })],
    ...o.attrs,
  };
  const attributes = Object.entries(values)
    .filter((e): e is [string, asn1js.AsnType[]] => e[1] !== null)
    .map(([type, v]) => new pkijs.Attribute({ type, values: v }));
  const sd = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OIDS.data,
      eContent: new asn1js.OctetString({ valueHex: o.envelope }),
    }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
      }),
    ],
    certificates: [cert],
  });
  const pkcs8 = crypto.createPrivateKey(o.signerKeyPem).export({ type: 'pkcs8', format: 'der' });
  const key = await crypto.webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash }, false, [
    'sign',
  ]);
  await sd.sign(key, 0, hash);
  const ci = new pkijs.ContentInfo({ contentType: OIDS.signedData, content: sd.toSchema(true) });
  return Buffer.from(ci.toSchema().toBER());
}

export const flip = (b: Buffer, i: number, mask = 0x01): void => {
  b[i] = (b[i] ?? 0) ^ mask;
};

/**
 * EnvelopedData (ContentInfo DER) assembled with pkijs classes, AES-128-CBC + rsaEncryption,
 * so a test can choose the encryptedKey and ciphertext bytes itself.
 */
export function manualEnvelope(o: {
  recipientDer: Buffer;
  encryptedKey: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
}): Buffer {
  const cert = pkijs.Certificate.fromBER(o.recipientDer);
  const ed = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [
      new pkijs.RecipientInfo({
        variant: 1,
        value: new pkijs.KeyTransRecipientInfo({
          version: 0,
          rid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
          keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: '1.2.840.113549.1.1.1',
            algorithmParams: new asn1js.Null(),
          }),
          encryptedKey: new asn1js.OctetString({ valueHex: o.encryptedKey }),
        }),
      }),
    ],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: OIDS.data,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
        algorithmId: '2.16.840.1.101.3.4.1.2',
        algorithmParams: new asn1js.OctetString({ valueHex: o.iv }),
      }),
      encryptedContent: new asn1js.OctetString({ valueHex: o.ciphertext }),
    }),
  });
  return Buffer.from(
    new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.3', content: ed.toSchema() }).toSchema().toBER(),
  );
}

/** Signed attributes of a SignedData (test-side reader, pkijs). */
export function readSignedAttrs(der: Buffer): { attrs: Map<string, asn1js.AsnType>; sd: pkijs.SignedData } {
  const ci = pkijs.ContentInfo.fromBER(der);
  const sd = new pkijs.SignedData({ schema: ci.content });
  const attrs = new Map<string, asn1js.AsnType>();
  for (const a of sd.signerInfos[0]?.signedAttrs?.attributes ?? []) attrs.set(a.type, a.values[0] as asn1js.AsnType);
  return { attrs, sd };
}

/** Runs `fn`, expecting an AppError-like rejection; returns it. */
export async function rejection(
  p: Promise<unknown>,
): Promise<{ code: string; message: string; detail?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; detail?: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}
