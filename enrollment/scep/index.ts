/**
 * SCEP (RFC 8894): the message layer (pure functions, no HTTP, no CA) and the service on top of
 * it. Enter the folder here.
 *
 * Rules this folder enforces (details and RFC sections in each file's header):
 * - Requests (message.ts, signed-data.ts, envelope.ts, key-transport.ts, attributes.ts, der.ts):
 *   256 KiB cap; owned depth-limited DER/BER reader; exactly one RSA signer verified with the
 *   certificate the message carries (§3.2); transactionID/messageType/senderNonce validated
 *   (§3.2.1); envelope opened only for our RA certificate (§3.2.2) with implicit rejection, so
 *   neither RSA nor CBC padding is an oracle; single DES only by explicit opt-in.
 * - Responses (certrep.ts): RA-signed CertRep with every attribute §3.3.2 requires, a fresh
 *   senderNonce, and on SUCCESS the certificates enveloped to the requester.
 * - GetCACert / GetCACaps bodies (degenerate.ts §4.2, capabilities.ts §3.5.2).
 * - Service (handlers.ts, requests.ts, lookups.ts, router.ts, ra.ts, transactions.ts, store.ts,
 *   errors.ts): the HTTP binding (§4), PKCSReq/RenewalReq/CertPoll through onboarding with
 *   idempotent transactionIDs, GetCert/GetCRL, the RSA RA identity, and the one AppError ->
 *   failInfo mapping. `gatehouse serve` wires createScepRouter + openScepRa + scepMigrations.
 *
 * Failures (RFC 8894 §3.3.2: a CertRep FAILURE, never an HTTP 500):
 * - parsePkiMessage throws AppError ERR_SCEP_BAD_MESSAGE | _BAD_SIGNATURE | _BAD_RECIPIENT with
 *   detail.failInfo (badAlg | badMessageCheck | badRequest). When the attributes were readable,
 *   detail also has transactionId, senderNonce (hex) and messageType, and
 *   certRepFailureFor(err, ra) returns the buildCertRep input for the FAILURE; when it returns
 *   undefined the request named no transaction: answer HTTP 400.
 * - Never add the error message or cause to failInfoText for decryption failures: all of them
 *   must produce byte-for-byte the same kind of answer (see envelope.ts `undecryptable`).
 */
export { parsePkiMessage, MAX_PKI_MESSAGE_BYTES } from './message.ts';
export type { PkiMessage, ParseOptions, ScepRa } from './message.ts';
export { buildCertRep, certRepFailureFor } from './certrep.ts';
export type { CertRepInput, CertRepEncryption } from './certrep.ts';
export { buildDegenerate, parseDegenerate } from './degenerate.ts';
export { getCaCapsText, SCEP_CAPABILITIES, SCEP_CONTENT_TYPES } from './capabilities.ts';
export type { ContentEncryption, ScepCapability, ScepDigest } from './capabilities.ts';
export { MESSAGE_TYPE, PKI_STATUS, FAIL_INFO, isValidTransactionId } from './attributes.ts';
export type { FailInfo, PkiStatus, RequestMessageType } from './attributes.ts';
export type { KeyTransport } from './envelope.ts';

// SCEP service (router + handlers + RA + transactions): what `gatehouse serve` wires.
export { createScepRouter, type ScepRouterOptions } from './router.ts';
export { createScepHandlers, type ScepHandlerDeps, type ScepHandlers, type ScepReply } from './handlers.ts';
export { openScepRa, ScepRaIdentity, RA_SUBJECT_CN, type ScepRaOptions, type ScepRaSource } from './ra.ts';
export { ScepTransactions } from './transactions.ts';
export { scepMigrations } from './migrations.ts';
export { scepVerdictOf, type ScepVerdict } from './errors.ts';
export type { ScepCrlSource } from './lookups.ts';
