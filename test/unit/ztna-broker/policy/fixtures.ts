/**
 * Shared fixtures for the policy tests: a policy document builder (YAML via the yaml package, so
 * tests state data, not indentation) and a facts builder with an allowed-by-default baseline.
 */
import { stringify } from 'yaml';
import type { Facts } from '../../../../ztna-broker/policy/index.ts';

export const SPKI_PIN = `sha256/${Buffer.alloc(32, 7).toString('base64')}`;
export const CERT_FP = 'ab'.repeat(32);

/** Wednesday 2025-03-05 10:00:00 UTC. */
export const WED_10_UTC = Date.parse('2025-03-05T10:00:00Z');

export function route(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'cam-lobby',
    host: 'cam-lobby.consoles.example.test',
    upstream: 'https://10.20.0.5:443',
    pin: SPKI_PIN,
    ...over,
  };
}

export function yamlDoc(routes: unknown[], rules: unknown[]): string {
  return stringify({ routes, rules });
}

export function facts(over: Partial<Facts> = {}): Facts {
  return {
    routeId: 'cam-lobby',
    user: { sub: 'sub-alice', email: 'alice@example.test', groups: ['ops'] },
    certificate: { fingerprint: CERT_FP, issuer: 'issuing-ca-1', serial: '0a1b', valid: true },
    mfa: { method: 'totp', authenticatedAt: WED_10_UTC / 1000 - 60 },
    method: 'GET',
    path: '/status',
    sourceIp: '10.1.2.3',
    now: WED_10_UTC,
    jitGrants: [],
    ...over,
  };
}
