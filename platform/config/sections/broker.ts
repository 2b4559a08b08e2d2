/**
 * ZTNA broker configuration (owned by ztna-broker/).
 *
 * Rules enforced:
 * - Disabled by default; when enabled, `policyFile` and `oidc` are required (boot names the key).
 * - No default secret: the OIDC client secret and the TOTP encryption key are secret references
 *   ({file}|{env}|{value}); without an encryption key TOTP cannot be enabled.
 * - There is no setting that turns off client-certificate verification, upstream TLS verification
 *   (that lives per route in the policy file as pin/ca) or the revocation check.
 * - The broker's own host (`host`) serves login/MFA/JIT pages; every other host is a route host
 *   from the policy file. URLs users see are https://<host>[:publicPort].
 * - `workers`: broker processes sharing the HTTPS listener (node:cluster): an integer >= 1 or
 *   'auto' (one per core); default 1 = the broker runs inside the `serve` process. With more
 *   than one, `serve` forks them and keeps every other role to itself; they share the server
 *   certificate and the assertion key (one key file, created before forking) and each has its
 *   own event-bus node id, so every revocation or session kill reaches each of them.
 */
import { z } from 'zod';
import { secretRef } from '../secret.ts';

const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const group = z.string().min(1).max(256);

const oidc = z.strictObject({
  /** Issuer identifier (https); discovery at <issuer>/.well-known/openid-configuration. */
  issuer: z.url(),
  clientId: z.string().min(1),
  /** Confidential client (client_secret_basic); omit for a public client (PKCE only). */
  clientSecret: secretRef.optional(),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).min(1).default(['openid', 'email', 'profile', 'groups']),
  emailClaim: z.string().min(1).default('email'),
  groupsClaim: z.string().min(1).default('groups'),
  /** Refuse logins whose email_verified claim is not true. */
  requireEmailVerified: z.boolean().default(true),
  /** Merge the userinfo response (same `sub`) into the ID token claims. */
  userinfo: z.boolean().default(true),
  /** PEM file of extra trust anchors for the IdP's HTTPS certificate (private IdPs). */
  caFile: z.string().min(1).optional(),
  /** Seconds a started login (state, nonce, PKCE verifier) stays usable. */
  loginTimeoutSeconds: z.number().int().min(30).max(3600).default(600),
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
});

const mfa = z.strictObject({
  /** Factors the broker runs itself; [] relies on trustIdp only. */
  methods: z.array(z.enum(['totp', 'webauthn'])).default(['totp', 'webauthn']),
  /** A user without any factor may enrol the first one after certificate + SSO. */
  selfEnrol: z.boolean().default(true),
  totp: z
    .strictObject({
      issuer: z.string().min(1).max(64).default('Gatehouse'),
      digits: z.union([z.literal(6), z.literal(8)]).default(6),
      periodSeconds: z.number().int().min(15).max(120).default(30),
      /** Accepted time steps either side of now (RFC 6238 §5.2). */
      window: z.number().int().min(0).max(2).default(1),
      /** Encrypts TOTP secrets at rest (AES-256-GCM, key derived with HKDF). */
      encryptionKey: secretRef.optional(),
    })
    .prefault({}),
  webauthn: z
    .strictObject({
      rpName: z.string().min(1).max(64).default('Gatehouse'),
      userVerification: z.enum(['required', 'preferred', 'discouraged']).default('preferred'),
    })
    .prefault({}),
  /**
   * Wrong codes/assertions per user across all sessions and nodes: `maxFailures` within
   * `windowSeconds` lock the user's broker factors for `lockSeconds` (audited). Each session
   * also ends after five failures.
   */
  lockout: z
    .strictObject({
      maxFailures: z.number().int().min(3).max(1000).default(10),
      windowSeconds: z.number().int().min(60).max(86_400).default(900),
      lockSeconds: z.number().int().min(60).max(86_400).default(900),
    })
    .prefault({}),
  /** Accept the IdP's MFA when its ID token carries one of these amr values / this acr. */
  trustIdp: z
    .strictObject({
      amr: z.array(z.string().min(1)).default([]),
      acr: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
});

export const brokerSection = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Processes serving the broker listener (node:cluster, one accept socket): n >= 1 or 'auto' = cores. */
    workers: z.union([z.number().int().min(1).max(256), z.literal('auto')]).default(1),
    /** Bind address of the HTTPS listener. */
    listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8444),
      })
      .prefault({}),
    /** The broker's own DNS name (login, MFA, JIT, JWKS); route hosts come from the policy. */
    host: z.string().toLowerCase().regex(HOST, 'must be a DNS host name without port').default('broker.localhost'),
    /** Port in the URLs users see; default listen.port. */
    publicPort: z.number().int().min(1).max(65535).optional(),
    /** Routes + rules YAML (ztna-broker/policy). */
    policyFile: z.string().min(1).optional(),
    stepUpMaxAgeSeconds: z.number().int().min(1).max(86_400).default(300),
    /** PEM server certificate (chain) and key; when absent the composition root provides them. */
    tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
    clientCert: z
      .strictObject({
        /** CA profiles whose certificates may open the broker. */
        profiles: z.array(z.string().min(1)).min(1).default(['admin-client']),
        /** How long one connection reuses a live revocation answer (events invalidate it at once). */
        revocationCacheMs: z.number().int().min(0).max(10_000).default(1_000),
      })
      .prefault({}),
    oidc: oidc.optional(),
    mfa: mfa.prefault({}),
    session: z
      .strictObject({
        idleSeconds: z.number().int().min(30).max(86_400).default(900),
        absoluteSeconds: z.number().int().min(60).max(30 * 86_400).default(28_800),
        /** In-memory reuse of a session row; kill and logout events invalidate it at once. */
        cacheMs: z.number().int().min(0).max(10_000).default(2_000),
        /** last_seen is written at most this often per session. */
        touchIntervalSeconds: z.number().int().min(1).max(600).default(30),
      })
      .refine((s) => s.idleSeconds <= s.absoluteSeconds, { message: 'idleSeconds must not exceed absoluteSeconds', path: ['idleSeconds'] })
      .prefault({}),
    assertion: z
      .strictObject({
        /** PEM PKCS#8 P-256 key for the upstream JWT (ES256); a random per-process key when absent. */
        keyFile: z.string().min(1).optional(),
        ttlSeconds: z.number().int().min(10).max(3600).default(60),
        header: z.string().regex(/^[a-z0-9-]+$/).default('x-gatehouse-assertion'),
      })
      .prefault({}),
    jit: z
      .strictObject({
        approverGroups: z.array(group).min(1).default(['gatehouse-approvers']),
        maxDurationSeconds: z.number().int().min(60).max(7 * 86_400).default(14_400),
        /** A pending request not decided within this time lapses. */
        requestTtlSeconds: z.number().int().min(60).max(30 * 86_400).default(86_400),
      })
      .prefault({}),
    /** Members may list and kill any session. */
    adminGroups: z.array(group).min(1).default(['gatehouse-admins']),
    audit: z
      .strictObject({
        /** each: one audit entry per proxied request; summary: counts per session and route. */
        requests: z.enum(['each', 'summary']).default('summary'),
        summaryIntervalSeconds: z.number().int().min(1).max(3600).default(60),
      })
      .prefault({}),
    upstream: z
      .strictObject({
        connectTimeoutMs: z.number().int().min(100).default(5_000),
        headersTimeoutMs: z.number().int().min(100).default(30_000),
        bodyTimeoutMs: z.number().int().min(100).default(300_000),
        connectionsPerRoute: z.number().int().min(1).max(1024).default(64),
      })
      .prefault({}),
  })
  .superRefine((b, ctx) => {
    if (!b.enabled) return;
    if (b.policyFile === undefined) ctx.addIssue({ code: 'custom', message: 'required when the broker is enabled', path: ['policyFile'] });
    if (b.oidc === undefined) ctx.addIssue({ code: 'custom', message: 'required when the broker is enabled', path: ['oidc'] });
    if (b.mfa.methods.includes('totp') && b.mfa.totp.encryptionKey === undefined) {
      ctx.addIssue({ code: 'custom', message: "required when mfa.methods includes 'totp'", path: ['mfa', 'totp', 'encryptionKey'] });
    }
  });
export type BrokerConfig = z.infer<typeof brokerSection>;
