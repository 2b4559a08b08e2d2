/**
 * ca/ocsp: the OCSP responder (RFC 6960, RFC 5019, nonce RFC 8954/9654) and its HTTP router.
 *
 * Wiring (composition root): `const ocsp = new OcspResponder({ ca, bus, config: config.ca.ocsp,
 * log, metrics }); await ocsp.start(); routers.push(createOcspRouter(ocsp, { path: '/ocsp' }));`
 * and `ocsp.stop()` at shutdown. The AIA of issued certificates must name the same path.
 * Other folders import this folder through this file only (CONTRIBUTING.md).
 */
export { OcspResponder, type OcspResponderOptions, type RespondOptions } from './responder.ts';
export type { OcspResult } from './results.ts';
export type { SignedForm } from './cache.ts';
export { postKey, getKey } from './request-memo.ts';
export { createOcspRouter, type OcspRouterOptions } from './router.ts';
export {
  parseOcspRequest,
  decodeGetPath,
  OCSP_MAX_REQUEST_BYTES,
  OCSP_MAX_NONCE_BYTES,
  type OcspRequest,
  type OcspCertId,
  type CertIdHash,
} from './request.ts';
export {
  errorResponse,
  signedResponse,
  signedResponseAsync,
  singleResponse,
  responderTemplate,
  publicKeyHash,
  OCSP_RESPONSE_STATUS,
  type OcspResponseStatus,
  type OcspErrorStatus,
  type SingleStatus,
  type ResponderTemplate,
} from './response.ts';
export { ResponderCerts, buildCsr, responderCommonName, type ResponderIdentity } from './responder-cert.ts';
export { ocspStatusOf } from './errors.ts';
