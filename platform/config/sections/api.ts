/**
 * Admin API (JSON over HTTPS, mutual TLS with an admin-client certificate from our CA).
 * The broker issue adds SSO in front of admins; until then the certificate is the identity.
 */
import { z } from 'zod';
import { listener } from './core.ts';

export const apiSection = z.strictObject({
  enabled: z.boolean().default(true),
  ...listener(9443).shape,
  /** DNS names / IPs in the API server certificate. */
  serverNames: z.array(z.string().min(1)).default(['localhost', '127.0.0.1']),
  /** Email SANs allowed to administer; empty = any good admin-client certificate from our CA. */
  admins: z.array(z.string().email()).default([]),
  maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(32 * 1024 * 1024),
});
export type ApiConfig = z.infer<typeof apiSection>;
