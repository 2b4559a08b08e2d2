export { Onboarding, type Credential, type EnrollInput, type EnrollOutcome, type OnboardingDeps } from './service.ts';
export { Tokens, hashToken } from './tokens.ts';
export { deviceGrant, deviceUri, deviceIdFromSans } from './grant.ts';
export { loadTrustAnchors, verifyIdevid, subjectSerialNumber } from './idevid.ts';
