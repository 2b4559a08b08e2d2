export { loadConfig, type Config, type LoadOptions } from './load.ts';
export { configSchema, type GatehouseConfig } from './schema.ts';
export { Secret, secretRef, type SecretRef } from './secret.ts';
export type { CaConfig } from './sections/ca.ts';
export type { EnrollmentConfig } from './sections/enrollment.ts';
export type { RadiusConfig } from './sections/radius.ts';
export type { BrokerConfig } from './sections/broker.ts';
export type { ApiConfig } from './sections/api.ts';

/** The only sanctioned read of the environment outside loadConfig: is this a CI run? */
export const isCi = (): boolean => Boolean(process.env.CI);
