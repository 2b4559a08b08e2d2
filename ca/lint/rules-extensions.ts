/**
 * Lint rules on the extension list and the key-identity / CA extensions.
 *
 * Rules enforced:
 * - No extension appears twice (RFC 5280 §4.2); critical FALSE is never encoded (X.690 §11.5);
 *   no critical extension this CA does not understand (§4.2: relying parties must reject).
 * - subjectKeyIdentifier present, = SHA-1 of the subjectPublicKey BIT STRING (§4.2.1.2 (1)).
 * - authorityKeyIdentifier present with keyIdentifier = the issuer's SKI, and critical FALSE
 *   (§4.2.1.1).
 * - basicConstraints present, critical, cA FALSE and no pathLenConstraint (§4.2.1.9): this
 *   path only issues end-entity certificates.
 * - Revocation pointers: cRLDistributionPoints (§4.2.1.13) and authorityInfoAccess with OCSP
 *   (§4.2.2.1) on profiles whose certificates are checked, pointing at this CA's URLs for this
 *   issuer; caIssuers on every profile; the OCSP responder carries id-pkix-ocsp-nocheck
 *   (RFC 6960 §4.2.2.2.1) and no other profile does.
 */
import { createHash } from 'node:crypto';
import * as der from '../asn1/index.ts';
import { OID } from '../asn1/index.ts';
import { akiKeyId, findExtension, readBasicConstraints } from '../cert-parse.ts';
import { issuerUrls } from '../extensions.ts';
import type { LintRule } from './types.ts';

const KNOWN = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.subjectAltName,
  OID.cRLDistributionPoints,
  OID.authorityInfoAccess,
  OID.ocspNoCheck,
]);

/** URIs inside a DistributionPoint list or AIA, in order. */
function urisIn(value: Buffer): string[] {
  const out: string[] = [];
  const walk = (t: der.Tlv): void => {
    if (t.id === 0x86) out.push(der.contentOf(value, t).toString('latin1'));
    else if (t.constructed) for (const c of der.children(value, t)) walk(c);
  };
  walk(der.parseDerExact(value));
  return out;
}

function accessDescriptions(value: Buffer): Array<{ method: string; uri: string | null }> {
  return der.children(value, der.parseDerExact(value), 0x30).map((ad) => {
    const [m, loc, ...rest] = der.children(value, ad, 0x30);
    if (!m || !loc || rest.length) der.fail('AccessDescription');
    return { method: der.readOid(value, m), uri: loc.id === 0x86 ? der.contentOf(value, loc).toString('latin1') : null };
  });
}

export const extensionRules: LintRule[] = [
  {
    id: 'ext.duplicate',
    check(t, _c, report) {
      const seen = new Set<string>();
      for (const e of t.extensions) {
        if (seen.has(e.oid)) report(`extension ${der.oidName(e.oid)} appears more than once`);
        seen.add(e.oid);
      }
    },
  },
  {
    id: 'ext.critical',
    check(t, _c, report) {
      for (const e of t.extensions) {
        if (e.explicitFalse) report(`extension ${der.oidName(e.oid)} encodes critical FALSE`);
        if (e.critical && !KNOWN.has(e.oid)) report(`unknown critical extension ${e.oid}`);
      }
    },
  },
  {
    id: 'ski',
    check(t, _c, report) {
      const e = findExtension(t, OID.subjectKeyIdentifier);
      if (!e) return report('subjectKeyIdentifier missing');
      const want = createHash('sha1').update(t.publicKeyBits).digest();
      if (e.critical) report('subjectKeyIdentifier must not be critical');
      if (!der.readOctetString(e.value, der.parseDerExact(e.value)).equals(want)) report('subjectKeyIdentifier is not SHA-1 of the public key');
    },
  },
  {
    id: 'aki',
    check(t, c, report) {
      const e = findExtension(t, OID.authorityKeyIdentifier);
      if (!e) return report('authorityKeyIdentifier missing');
      if (e.critical) report('authorityKeyIdentifier must not be critical');
      const kid = akiKeyId(e.value);
      if (!kid || !kid.equals(c.issuer.ski)) report('authorityKeyIdentifier keyIdentifier differs from the issuer SKI');
    },
  },
  {
    id: 'basic.constraints',
    check(t, _c, report) {
      const e = findExtension(t, OID.basicConstraints);
      if (!e) return report('basicConstraints missing');
      if (!e.critical) report('basicConstraints must be critical');
      const bc = readBasicConstraints(e.value);
      if (bc.ca) report('end-entity certificate asserts cA TRUE');
      if (bc.pathLen !== undefined) report('pathLenConstraint without cA');
    },
  },
  {
    id: 'revocation.pointers',
    check(t, c, report) {
      const urls = issuerUrls(c.profile.publicUrl, c.issuer.id);
      const cdp = findExtension(t, OID.cRLDistributionPoints);
      const aia = findExtension(t, OID.authorityInfoAccess);
      const ads = aia ? accessDescriptions(aia.value) : [];
      const ocsp = ads.filter((a) => a.method === OID.adOcsp).map((a) => a.uri);
      const caIssuers = ads.filter((a) => a.method === OID.adCaIssuers).map((a) => a.uri);
      if (!caIssuers.includes(urls.caIssuers)) report(`AIA caIssuers ${urls.caIssuers} missing`);
      if (c.profile.revocationPointers) {
        if (!cdp) report('cRLDistributionPoints missing');
        else if (!urisIn(cdp.value).includes(urls.crl)) report(`CRL distribution point ${urls.crl} missing`);
        if (!ocsp.includes(urls.ocsp)) report(`AIA OCSP ${urls.ocsp} missing`);
      }
    },
  },
  {
    id: 'ocsp.nocheck',
    check(t, c, report) {
      const e = findExtension(t, OID.ocspNoCheck);
      if (c.profile.ocspNoCheck && !e) report('OCSP responder certificate without id-pkix-ocsp-nocheck');
      if (!c.profile.ocspNoCheck && e) report('id-pkix-ocsp-nocheck on a non-responder certificate');
      if (e) der.readNull(e.value, der.parseDerExact(e.value));
    },
  },
];
