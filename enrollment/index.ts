/**
 * enrollment: device inventory, onboarding authorization, and the EST (and SCEP) adapters.
 * Other folders (radius-bridge, ztna-broker, cli) import enrollment only through this file.
 *
 * Rules: services (inventory, onboarding) never import a protocol adapter; adapters (est/, scep/)
 * only call Onboarding and map its typed errors once per protocol (ARCHITECTURE habits 1, 4).
 */
export { enrollmentMigrations } from './migrations.ts';
export { InventoryService, type InventoryDeps } from './inventory/service.ts';
export {
  DEVICE_STATES,
  RISK_TIERS,
  normalizeMac,
  type Device,
  type DeviceInput,
  type DeviceFields,
  type DeviceState,
  type DeviceUpdate,
  type Segment,
  type SegmentInput,
} from './inventory/model.ts';
export { deviceIdFromSans, deviceUri } from './onboarding/grant.ts';
export {
  Onboarding,
  loadTrustAnchors,
  type Credential,
  type EnrollInput,
  type EnrollOutcome,
  type OnboardingDeps,
} from './onboarding/index.ts';
export { createEstServer, type EstServer, type EstServerOptions, type EstTls, type EstConfig } from './est/index.ts';
export {
  createScepRouter,
  openScepRa,
  ScepRaIdentity,
  scepMigrations,
  type ScepRouterOptions,
  type ScepRaOptions,
  type ScepRaSource,
  type ScepCrlSource,
} from './scep/index.ts';
