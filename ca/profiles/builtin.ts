/**
 * The built-in certificate profiles (end-entity only; CA certificates come from ca/root/).
 *
 * Rules enforced (per profile, see the table below):
 * - Every profile: basicConstraints cA FALSE critical (RFC 5280 §4.2.1.9), keyUsage critical
 *   (§4.2.1.3), SKI (§4.2.1.2) and AKI = issuer SKI (§4.2.1.1); CRL DP (§4.2.1.13) and AIA OCSP +
 *   caIssuers (§4.2.2.1) except on the OCSP responder, which carries id-pkix-ocsp-nocheck and
 *   is not itself checked (RFC 6960 §4.2.2.2.1; caIssuers only).
 * - device-tls: id-kp-clientAuth, serverAuth on request; digitalSignature (+ keyEncipherment for
 *   RSA, TLS 1.2 RSA key transport); 365 d default, 825 d max; DNS/IP/URI SANs.
 * - radius-server: id-kp-serverAuth (EAP-TLS server, RFC 5216 §5.3); 825 d max; DNS/IP SANs.
 * - admin-client: id-kp-clientAuth, an rfc822Name SAN required; 90 d default, 365 d max.
 * - ocsp-responder: id-kp-OCSPSigning + nocheck, digitalSignature only (RFC 6960 §4.2.2.2);
 *   30 d; a commonName, no SAN needed.
 * - scep-ra: RSA only (SCEP key transport, RFC 8894 §3.1), digitalSignature + keyEncipherment,
 *   no EKU; 825 d max; a commonName.
 */
import type { KeyAlgorithm } from '../../platform/crypto.ts';
import { OID } from '../asn1/index.ts';
import type { BuiltinProfileName } from '../types.ts';
import type { ProfileDefinition } from './types.ts';

const ALL_KEYS: readonly KeyAlgorithm[] = ['P-256', 'P-384', 'RSA-2048', 'RSA-3072', 'RSA-4096', 'Ed25519'];
const TLS_KEYS: readonly KeyAlgorithm[] = ['P-256', 'P-384', 'RSA-2048', 'RSA-3072', 'RSA-4096'];
const RSA_KEYS: readonly KeyAlgorithm[] = ['RSA-2048', 'RSA-3072', 'RSA-4096'];

export const BUILTIN_PROFILES: Readonly<Record<BuiltinProfileName, ProfileDefinition>> = {
  'device-tls': {
    name: 'device-tls',
    defaultValidityDays: 365,
    maxValidityDays: 825,
    keyTypes: ALL_KEYS,
    ekus: [OID.kpClientAuth],
    serverAuth: 'optional',
    keyUsageRsa: ['digitalSignature', 'keyEncipherment'],
    keyUsageOther: ['digitalSignature'],
    sanTypes: ['dns', 'ip', 'uri'],
    requireCommonName: false,
    ocspNoCheck: false,
    revocationPointers: true,
  },
  'radius-server': {
    name: 'radius-server',
    defaultValidityDays: 365,
    maxValidityDays: 825,
    keyTypes: TLS_KEYS,
    ekus: [],
    serverAuth: 'always',
    keyUsageRsa: ['digitalSignature', 'keyEncipherment'],
    keyUsageOther: ['digitalSignature'],
    sanTypes: ['dns', 'ip'],
    requireCommonName: false,
    ocspNoCheck: false,
    revocationPointers: true,
  },
  'admin-client': {
    name: 'admin-client',
    defaultValidityDays: 90,
    maxValidityDays: 365,
    keyTypes: TLS_KEYS,
    ekus: [OID.kpClientAuth],
    serverAuth: 'never',
    keyUsageRsa: ['digitalSignature', 'keyEncipherment'],
    keyUsageOther: ['digitalSignature'],
    sanTypes: ['email', 'uri'],
    requiredSan: 'email',
    requireCommonName: false,
    ocspNoCheck: false,
    revocationPointers: true,
  },
  'ocsp-responder': {
    name: 'ocsp-responder',
    defaultValidityDays: 30,
    maxValidityDays: 30,
    keyTypes: ALL_KEYS,
    ekus: [OID.kpOCSPSigning],
    serverAuth: 'never',
    keyUsageRsa: ['digitalSignature'],
    keyUsageOther: ['digitalSignature'],
    sanTypes: [],
    requireCommonName: true,
    ocspNoCheck: true,
    revocationPointers: false,
  },
  'scep-ra': {
    name: 'scep-ra',
    defaultValidityDays: 365,
    maxValidityDays: 825,
    keyTypes: RSA_KEYS,
    ekus: [],
    serverAuth: 'never',
    keyUsageRsa: ['digitalSignature', 'keyEncipherment'],
    keyUsageOther: ['digitalSignature'],
    sanTypes: ['dns'],
    requireCommonName: true,
    ocspNoCheck: false,
    revocationPointers: true,
  },
};
