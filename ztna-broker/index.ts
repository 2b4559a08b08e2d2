/**
 * ztna-broker: the identity-aware proxy in front of device consoles.
 *
 * - createBroker(options)  HTTPS listener (client certificate + OIDC + MFA + policy + proxy)
 * - brokerMigrations       the broker_* tables (pass them to platform/db migrate with the others)
 * - policy/                routes + rules YAML, pure evaluate(), path and header sanitation
 *
 * Rules: other folders enter through this file only; the broker never imports radius-bridge;
 * it talks to the CA only through the CertificateAuthority interface (statusOfCert).
 */
export { createBroker, type Broker, type CreateBrokerOptions } from './broker.ts';
export { brokerMigrations } from './migrations.ts';
export { BrokerAdmin } from './admin.ts';
export { SESSION_COOKIE, LOGIN_COOKIE, BROKER_COOKIE_NAMES } from './web/cookies.ts';
export { JWKS_PATH } from './app/broker-host.ts';
export type { SessionRecord } from './sessions/types.ts';
export * from './policy/index.ts';
