/**
 * The few PKCS#10 fields EST itself needs, read without the proof-of-possession check (the CA
 * verifies the signature of whatever is issued; reading here only decides authentication).
 *
 * Rules enforced:
 * - RFC 2986 §4: CertificationRequest ::= SEQUENCE { info, algorithm, signature }; info is
 *   SEQUENCE { version 0, subject Name, subjectPKInfo, attributes [0] (optional, old encoders) }.
 *   Strict DER (ca/asn1): trailing bytes, wrong tags or depth are ERR_CSR_MALFORMED (400).
 * - RFC 7030 §3.5: the challengePassword attribute (RFC 2985 §5.4.1, one value, any
 *   DirectoryString, at most 255 characters) carries the base64 channel binding.
 * - RFC 7030 §4.4.1: /serverkeygen must ignore the request's key and signature, so this reader
 *   is what serverkeygen uses; it also reports the attribute OIDs so that requests for an
 *   encrypted key (DecryptKeyIdentifier, AsymmetricDecryptKeyIdentifier, §4.4.1.1/§4.4.1.2)
 *   can be refused.
 */
import { AppError, isAppError } from '../../platform/errors.ts';
import * as der from '../../ca/asn1/index.ts';
import { OID } from '../../ca/asn1/index.ts';

export const OID_DECRYPT_KEY_IDENTIFIER = '1.2.840.113549.1.9.16.2.37';
export const OID_ASYMMETRIC_DECRYPT_KEY_IDENTIFIER = '1.2.840.113549.1.9.16.2.54';

export interface CsrFields {
  subjectDer: Buffer;
  challengePassword?: string;
  attributeOids: string[];
}

export function csrFields(csrDer: Buffer): CsrFields {
  try {
    const top = der.parseDerExact(csrDer);
    const [infoT, algT, sigT, ...rest] = der.children(csrDer, top, 0x30);
    if (!infoT || !algT || !sigT || rest.length) return der.fail('CertificationRequest');
    const [verT, nameT, spkiT, attrT, ...more] = der.children(csrDer, infoT, 0x30);
    if (!verT || !nameT || !spkiT || more.length || der.readSmallInt(csrDer, verT) !== 0)
      return der.fail('CertificationRequestInfo');
    der.expectId(spkiT, 0x30, 'SubjectPublicKeyInfo');
    const out: CsrFields = { subjectDer: der.rawOf(csrDer, der.expectId(nameT, 0x30, 'Name')), attributeOids: [] };
    for (const a of attrT ? der.children(csrDer, attrT, 0xa0) : []) {
      const [typeT, valuesT, ...extra] = der.children(csrDer, a, 0x30);
      if (!typeT || !valuesT || extra.length) return der.fail('Attribute');
      const type = der.readOid(csrDer, typeT);
      const values = der.children(csrDer, valuesT, 0x31);
      if (values.length === 0) return der.fail('Attribute without values');
      out.attributeOids.push(type);
      if (type === OID.challengePassword) {
        if (values.length !== 1 || out.challengePassword !== undefined)
          return der.fail('challengePassword must have one value');
        const pw = der.readString(csrDer, values[0]!);
        if ([...pw].length > 255) return der.fail('challengePassword longer than 255');
        out.challengePassword = pw;
      }
    }
    return out;
  } catch (e) {
    if (isAppError(e) && e.code !== 'ERR_DER_MALFORMED') throw e;
    throw new AppError('ERR_CSR_MALFORMED', `malformed PKCS#10 request${isAppError(e) ? ': ' + e.message : ''}`, {
      cause: e,
    });
  }
}

/** True when the request asks for the server-generated key to be encrypted (§4.4.1.1/2). */
export function wantsEncryptedKey(f: CsrFields): boolean {
  return (
    f.attributeOids.includes(OID_DECRYPT_KEY_IDENTIFIER) ||
    f.attributeOids.includes(OID_ASYMMETRIC_DECRYPT_KEY_IDENTIFIER)
  );
}
