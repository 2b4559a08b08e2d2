/**
 * Enrollment configuration: EST (HTTPS) and SCEP (plain HTTP, on the main listener) endpoints,
 * how devices prove who they are, and what their certificates say.
 * Defaults fail closed: no shared secrets, HTTP Basic only bound to the TLS channel, unknown
 * devices wait for an admin.
 */
import { z } from 'zod';
import { listener } from './core.ts';

const label = z.strictObject({
  /** Certificate profile issued under this label. */
  profile: z.string().min(1).default('device-tls'),
  /** Add serverAuth to the device certificate. */
  serverAuth: z.boolean().default(false),
});

export const enrollmentSection = z.strictObject({
  est: z
    .strictObject({
      enabled: z.boolean().default(true),
      ...listener(8443).shape,
      /** Allow HTTP Basic token auth without channel binding (only over TLS). Off by default (RFC 7030 §3.2.3). */
      allowUnboundBasic: z.boolean().default(false),
      /**
       * Offer /serverkeygen (RFC 7030 §4.4). The key is returned as unencrypted PKCS#8 protected by
       * TLS only (§4.4.2); requests asking for an encrypted key (DecryptKeyIdentifier,
       * AsymmetricDecryptKeyIdentifier) are refused.
       */
      serverKeygen: z.boolean().default(true),
      maxBodyBytes: z.number().int().min(1024).max(1024 * 1024).default(64 * 1024),
      /** DNS names/IPs in the EST server certificate. */
      serverNames: z.array(z.string().min(1)).default(['localhost', '127.0.0.1']),
      /** Key /csrattrs asks for (RFC 7030 §4.5) and /serverkeygen generates; 'none' -> 204 (keygen uses P-256). */
      csrAttrs: z.enum(['P-256', 'P-384', 'none']).default('P-256'),
      /** Whole request (headers + body) must arrive within this; slow clients are cut. */
      requestTimeoutMs: z.number().int().min(100).default(30_000),
      /** Headers (and the TLS handshake) must arrive within this. */
      headersTimeoutMs: z.number().int().min(100).default(10_000),
      keepAliveTimeoutMs: z.number().int().min(100).default(5_000),
    })
    .prefault({}),
  scep: z
    .strictObject({
      enabled: z.boolean().default(true),
      /**
       * LEGACY-CLIENT RISK, off by default. Accept PKIOperation envelopes encrypted with single
       * DES-CBC (RFC 8894 §3.5.2 deprecates it): a 56-bit key then protects the challenge
       * password (the device's one-time token) in transit. Needed only for clients that ignore
       * GetCACaps, e.g. Debian's micromdm scepclient 2.1. Our replies are never single DES.
       */
      allowDesCbc: z.boolean().default(false),
      /** PKIOperation body cap (POST body, or decoded GET message=), refused before buffering. */
      maxBodyBytes: z.number().int().min(4096).max(256 * 1024).default(64 * 1024),
      /** RA/decrypter key (SCEP is RSA-only, RFC 8894 §3.1), generated once under <dataDir>/ca. */
      raKeyAlgorithm: z.enum(['RSA-2048', 'RSA-3072']).default('RSA-2048'),
    })
    .prefault({}),
  labels: z.record(z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/), label).default({}),
  defaultProfile: z.string().default('device-tls'),
  tokenTtlHours: z.number().min(0.01).max(24 * 90).default(72),
  approval: z
    .strictObject({
      /** manual: unknown requests wait for an admin (EST 202 / SCEP PENDING); deny: refuse at once. */
      mode: z.enum(['manual', 'deny']).default('manual'),
      retryAfterSeconds: z.number().int().min(1).max(86_400).default(60),
    })
    .prefault({}),
  idevid: z
    .strictObject({
      /** PEM files of manufacturer IDevID trust anchors (IEEE 802.1AR); separate from our CA. */
      trustAnchors: z.array(z.string().min(1)).default([]),
      /** A device pre-registered with its IDevID serial may enroll without a separate approval. */
      autoApprove: z.boolean().default(true),
    })
    .prefault({}),
  subject: z
    .strictObject({
      organization: z.string().min(1).max(64).default('Gatehouse Devices'),
      /** Domain for a DNS SAN <device-id>.<domain>, when set and the device has no dnsName. */
      dnsDomain: z.string().optional(),
    })
    .prefault({}),
  validityDays: z.number().int().min(1).max(825).default(365),
});
export type EnrollmentConfig = z.infer<typeof enrollmentSection>;
