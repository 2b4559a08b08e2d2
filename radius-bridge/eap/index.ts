/**
 * EAP-TLS server engine for the RADIUS bridge (RFC 3748, RFC 5216, RFC 9190).
 * Entry point of radius-bridge/eap: other folders import only from here.
 */
export { EapTlsEngine, type EapStartResult } from './engine.ts';
export { EapTlsSession } from './session.ts';
export { SharedTlsServer, type SessionTlsEvents } from './shared-server.ts';
export {
  DEFAULT_EAP_TLS_LIMITS,
  mppeKeysFromMsk,
  type AuthorizeContext,
  type AuthorizeHook,
  type AuthorizeResult,
  type EapChallengeStep,
  type EapDiscardStep,
  type EapFailureStep,
  type EapStartInput,
  type EapStep,
  type EapSuccessStep,
  type EapTlsEngineOptions,
  type EapTlsLimits,
} from './types.ts';
export {
  buildEap,
  buildEapFailure,
  buildEapSuccess,
  buildEapTls,
  EAP_CODE,
  EAP_HEADER_LEN,
  EAP_MAX_LEN,
  EAP_TLS_FLAG,
  EAP_TYPE,
  encodeEapTls,
  isEapTlsAck,
  parseEap,
  parseEapTls,
  type EapPacket,
  type EapTlsData,
  type ParseEapOptions,
} from './packet.ts';
export {
  DEFAULT_EAP_MTU,
  DEFAULT_REASSEMBLY_LIMITS,
  EAP_TLS_OVERHEAD,
  EAPOL_HEADER_LEN,
  eapMtuFromFramedMtu,
  fragmentDataSize,
  fragmentTlsMessage,
  MIN_EAP_MTU,
  TlsReassembler,
  type ReassemblyLimits,
} from './fragment.ts';
export {
  EAP_TLS_TYPE_CODE,
  TLS12_KEY_LABEL,
  TLS13_KEY_LABEL,
  TlsServerSession,
  resolveTlsServerOptions,
  type EapTlsServerConfig,
  type TlsKeys,
  type TlsStep,
  type TlsVersion,
} from './tls-session.ts';
