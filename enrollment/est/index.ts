/**
 * EST (RFC 7030, clarified by RFC 8951): pure handlers + thin HTTPS adapter. Enter the folder here.
 *
 * Rules this folder enforces (details and RFC sections in each file's header):
 * - wire.ts: base64 bodies both ways, media types (§4, RFC 8951 §3).
 * - auth.ts: TLS client certificate (current cert or IDevID) and HTTP Basic token, Basic bound
 *   to the TLS channel by tls-unique / tls-exporter in the CSR challengePassword (§3.3, §3.5).
 * - handlers.ts: cacerts, simpleenroll, simplereenroll, csrattrs, serverkeygen (§4.1-§4.5).
 * - errors.ts: the one AppError code -> HTTP status mapping (401 with WWW-Authenticate,
 *   202/503 with Retry-After, 413 closes the connection).
 * - router.ts + server.ts: paths with optional label (§3.2.2), limits before buffering, TLS 1.2
 *   and 1.3, timeouts for slow clients.
 */
export { createEstServer, type EstServer, type EstServerOptions, type EstTls } from './server.ts';
export {
  createEstHandlers,
  EST_OPERATIONS,
  type EstConfig,
  type EstHandlerDeps,
  type EstHandlers,
  type EstOperation,
} from './handlers.ts';
export { createEstRouter, EST_PREFIX, type EstRouterOptions } from './router.ts';
export { EST_STATUS, EST_REALM, estErrorResponse, estStatusOf } from './errors.ts';
export { channelBindingOf, parseBasic } from './auth.ts';
export { csrAttrsDer } from './csrattrs.ts';
export { parseMultipart } from './serverkeygen.ts';
export { MEDIA, decodeBase64, encodeBase64, type EstAuth, type EstRequest, type EstResponse } from './wire.ts';
