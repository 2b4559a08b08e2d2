/**
 * ca/crl: X.509 v2 CRLs (RFC 5280 §5) for every issuer this CA runs — pure builder and parser,
 * store, publishing service (schedule + debounced rebuilds, cache) and the plain-HTTP router.
 * Other folders import this folder only through this file.
 */
export {
  CrlBuilder,
  buildCrl,
  crlIssuerOf,
  type BuiltCrl,
  type CrlEntry,
  type CrlIssuer,
  type CrlParams,
} from './builder.ts';
export { parseCrl, verifyCrlSignature, type ParsedCrl, type ParsedCrlEntry } from './parse.ts';
export {
  CrlService,
  crlUrls,
  type CrlConfig,
  type CrlServiceOptions,
  type CrlTuning,
  type PublishedCrl,
} from './service.ts';
export { createCrlRouter, type CrlRouterOptions, type CrlSource } from './router.ts';
export { crlStore, type CrlRow, type StoredCrl, type StoredCrlMeta } from './store.ts';
