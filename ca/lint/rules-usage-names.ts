/**
 * Lint rules on key usage, extended key usage and subject alternative names.
 *
 * Rules enforced:
 * - keyUsage present and critical (RFC 5280 §4.2.1.3), exactly the profile's bits for the key
 *   type; keyEncipherment only with an RSA key (EC and Ed25519 cannot do key transport);
 *   no keyCertSign / cRLSign on an end-entity certificate (§4.2.1.9).
 * - extKeyUsage (§4.2.1.12): exactly the profile's purposes (+ serverAuth when the profile
 *   always has it or the grant asked for it), never anyExtendedKeyUsage; an OCSP responder has
 *   id-kp-OCSPSigning (RFC 6960 §4.2.2.2), no other profile does.
 * - subjectAltName (§4.2.1.6): re-parsed as GeneralNames: non-empty, only dNSName (preferred
 *   name syntax), rfc822Name (addr-spec), URI (absolute) and iPAddress (4 or 16 octets), each
 *   of a type the profile allows; critical exactly when the subject is empty.
 */
import * as der from '../asn1/index.ts';
import { isValidDnsName, isValidEmail, isValidUri, OID } from '../asn1/index.ts';
import { describeSpki } from '../csr.ts';
import { findExtension } from '../cert-parse.ts';
import { KEY_USAGE_BITS } from '../extensions.ts';
import { keyUsageFor } from '../profiles/index.ts';
import type { LintRule } from './types.ts';

const BIT_NAMES = Object.fromEntries(Object.entries(KEY_USAGE_BITS).map(([k, v]) => [v, k])) as Record<number, string>;

function kuBits(value: Buffer): Set<number> {
  const { bytes } = der.readBitString(value, der.parseDerExact(value));
  const out = new Set<number>();
  bytes.forEach((b, i) => {
    for (let j = 0; j < 8; j++) if (b & (0x80 >> j)) out.add(i * 8 + j);
  });
  return out;
}

const SAN_TAGS: Record<number, [string, (v: Buffer) => boolean]> = {
  0x82: ['dns', (v) => isValidDnsName(v.toString('latin1'))],
  0x81: ['email', (v) => isValidEmail(v.toString('latin1'))],
  0x86: ['uri', (v) => isValidUri(v.toString('latin1'))],
  0x87: ['ip', (v) => v.length === 4 || v.length === 16],
};

export const usageNameRules: LintRule[] = [
  {
    id: 'key.usage',
    check(t, c, report) {
      const e = findExtension(t, OID.keyUsage);
      if (!e) return report('keyUsage missing');
      if (!e.critical) report('keyUsage must be critical');
      const key = describeSpki(t.spkiDer);
      if (key.kind === 'unsupported') return report(`unsupported subject key: ${key.reason}`);
      const bits = kuBits(e.value);
      const want = new Set<number>(keyUsageFor(c.profile, key.kind).map((n) => KEY_USAGE_BITS[n]));
      if (bits.has(KEY_USAGE_BITS.keyEncipherment) && key.kind !== 'rsa') report('keyEncipherment on a non-RSA key');
      if (bits.has(KEY_USAGE_BITS.keyCertSign) || bits.has(KEY_USAGE_BITS.cRLSign)) report('keyCertSign/cRLSign on an end-entity certificate');
      const extra = [...bits].filter((b) => !want.has(b));
      const missing = [...want].filter((b) => !bits.has(b));
      if (extra.length || missing.length) {
        report(`keyUsage differs from profile ${c.profile.name}: extra [${extra.map((b) => BIT_NAMES[b] ?? b)}], missing [${missing.map((b) => BIT_NAMES[b])}]`);
      }
    },
  },
  {
    id: 'ext.key.usage',
    check(t, c, report) {
      const e = findExtension(t, OID.extKeyUsage);
      const have = e ? der.children(e.value, der.parseDerExact(e.value), 0x30).map((x) => der.readOid(e.value, x)) : [];
      if (e && have.length === 0) report('empty extKeyUsage');
      const want = new Set(c.profile.ekus);
      if (c.profile.serverAuth === 'always' || (c.profile.serverAuth === 'optional' && c.serverAuth)) want.add(OID.kpServerAuth);
      if (have.includes(OID.anyExtendedKeyUsage)) report('anyExtendedKeyUsage is not allowed');
      if (c.profile.ocspNoCheck && !have.includes(OID.kpOCSPSigning)) report('OCSP responder certificate without id-kp-OCSPSigning');
      if (!c.profile.ocspNoCheck && have.includes(OID.kpOCSPSigning)) report('id-kp-OCSPSigning on a non-responder certificate');
      const extra = have.filter((o) => !want.has(o));
      const missing = [...want].filter((o) => !have.includes(o));
      if (extra.length || missing.length) {
        report(`extKeyUsage differs from profile ${c.profile.name}: extra [${extra.map(der.oidName)}], missing [${missing.map(der.oidName)}]`);
      }
    },
  },
  {
    id: 'subject.alt.name',
    check(t, c, report) {
      const e = findExtension(t, OID.subjectAltName);
      if (!e) {
        if (c.profile.requiredSan) report(`profile ${c.profile.name} requires a ${c.profile.requiredSan} SAN`);
        return;
      }
      const names = der.children(e.value, der.parseDerExact(e.value), 0x30);
      if (names.length === 0) report('empty subjectAltName');
      const types = new Set<string>();
      for (const n of names) {
        const known = SAN_TAGS[n.id];
        if (!known) {
          report(`GeneralName [${n.tag}] is not issued by this CA`);
          continue;
        }
        const [type, valid] = known;
        types.add(type);
        if (!valid(der.contentOf(e.value, n))) report(`malformed ${type} SAN`);
        if (!(c.profile.sanTypes as readonly string[]).includes(type)) report(`${type} SAN not allowed by profile ${c.profile.name}`);
      }
      if (c.profile.requiredSan && !types.has(c.profile.requiredSan)) report(`profile ${c.profile.name} requires a ${c.profile.requiredSan} SAN`);
      const emptySubject = t.subjectDer.length === 2;
      if (emptySubject && !e.critical) report('subjectAltName must be critical when the subject is empty');
      if (!emptySubject && e.critical) report('subjectAltName must not be critical when the subject is present');
    },
  },
];
