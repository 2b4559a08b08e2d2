/**
 * CA configuration: issuing key protection, profile overrides, CRL and OCSP timing.
 * The offline root is never configured here: the online service has no setting that
 * could point it at the root key (ceremony commands take the offline folder as a flag).
 */
import { z } from 'zod';
import { secretRef } from '../secret.ts';

const keyType = z.enum(['P-256', 'P-384', 'P-521', 'RSA-2048', 'RSA-3072', 'RSA-4096', 'Ed25519']);

export const profileOverride = z.strictObject({
  defaultValidityDays: z.number().int().min(1).optional(),
  maxValidityDays: z.number().int().min(1).optional(),
  keyTypes: z.array(keyType).min(1).optional(),
  serverAuth: z.boolean().optional(),
});

export const caSection = z.strictObject({
  /** Folder with the issuing CA's encrypted key(s) and certificates; default <dataDir>/ca. */
  keyDir: z.string().optional(),
  /** Passphrase that unlocks the issuing CA key (required to serve). */
  keyPassphrase: secretRef.optional(),
  profiles: z.record(z.string(), profileOverride).default({}),
  crl: z
    .strictObject({
      validitySeconds: z.number().int().min(60).default(86_400),
      rebuildIntervalSeconds: z.number().int().min(10).default(3_600),
      debounceMs: z.number().int().min(0).default(1_000),
      deltaValiditySeconds: z.number().int().min(60).default(3_600),
    })
    .prefault({}),
  ocsp: z
    .strictObject({
      responseValiditySeconds: z.number().int().min(60).default(3_600),
      refreshBeforeSeconds: z.number().int().min(10).default(900),
      maxCertIds: z.number().int().min(1).max(100).default(10),
      responderValidityDays: z.number().int().min(1).default(30),
      responderRenewBeforeDays: z.number().int().min(1).default(7),
    })
    .prefault({}),
});
export type CaConfig = z.infer<typeof caSection>;
