/**
 * /csrattrs body: what Gatehouse wants in a CSR (RFC 7030 §4.5).
 *
 * Rules enforced:
 * - §4.5.2: CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID, AttrOrOID ::= CHOICE { oid OBJECT
 *   IDENTIFIER, attribute Attribute }, DER, base64, `application/csrattrs`.
 * - The key the device should make: an Attribute id-ecPublicKey whose value is the named curve
 *   (secp256r1 or secp384r1, RFC 5480 §2.1.1.1), plus the signature algorithm OID
 *   (ecdsa-with-SHA256 / -SHA384, RFC 5758 §3.2) — the form of the §4.5.2 example.
 * - The challengePassword OID (RFC 2985 §5.4.1) is listed when the server requires the TLS
 *   channel binding in it for Basic enrollment (§3.5, allowUnboundBasic off).
 * - §4.5.2: "204 No Content" when there is nothing to ask for (csrAttrs 'none' and no binding
 *   needed). The answer is the same for every label; it depends on configuration only, so it
 *   is computed once.
 */
import { OID, oid, seq, set } from '../../ca/asn1/index.ts';

export type CsrAttrsKey = 'P-256' | 'P-384' | 'none';

const KEY_OIDS: Record<Exclude<CsrAttrsKey, 'none'>, { curve: string; sig: string }> = {
  'P-256': { curve: OID.secp256r1, sig: OID.ecdsaWithSHA256 },
  'P-384': { curve: OID.secp384r1, sig: OID.ecdsaWithSHA384 },
};

/** DER of the CsrAttrs, or null when there is nothing to ask for (answer 204). */
export function csrAttrsDer(key: CsrAttrsKey, wantChannelBinding: boolean): Buffer | null {
  const items: Buffer[] = [];
  if (wantChannelBinding) items.push(oid(OID.challengePassword));
  if (key !== 'none') {
    const k = KEY_OIDS[key];
    items.push(oid(k.sig), seq(oid(OID.ecPublicKey), set(oid(k.curve))));
  }
  return items.length ? seq(...items) : null;
}

/** The curve /serverkeygen generates: the one /csrattrs asks for, P-256 otherwise. */
export function keygenAlgorithm(key: CsrAttrsKey): 'P-256' | 'P-384' {
  return key === 'P-384' ? 'P-384' : 'P-256';
}
