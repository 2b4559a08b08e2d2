/**
 * Public types and defaults of the EAP-TLS engine.
 *
 * Rules:
 * - A step is data: the RADIUS layer maps it once — challenge -> Access-Challenge carrying `eap`,
 *   success -> (after its own revocation/inventory checks) Access-Accept with `eap` (EAP-Success)
 *   and MS-MPPE keys, failure -> Access-Reject with `eap` (EAP-Failure), discard -> no reply
 *   (RFC 3748 §4.1: responses that do not match are silently discarded).
 * - MS-MPPE-Recv-Key = MSK[0..31] (peer -> authenticator), MS-MPPE-Send-Key = MSK[32..63]
 *   (authenticator -> peer): RFC 5216 §2.3 ("Enc-RECV-Key = MSK(0,31) ... MS-MPPE-Recv-Key in
 *   [RFC2548]"), same split in [MS-PEAP] §3.1.5.7 and hostapd's radius_msg_add_mppe_keys(send =
 *   MSK+32, recv = MSK). RFC 2548 §2.4.2/§2.4.3 salt-encryption is the RADIUS codec's job.
 * - Caps per session (defaults): 50 EAP packets, 128 KiB in, 30 s lifetime, 64 KiB per TLS flight,
 *   64 fragments per flight.
 */
import type { AppError } from '../../platform/errors.ts';
import type { EapTlsServerConfig, TlsVersion } from './tls-session.ts';

export interface EapTlsLimits {
  /** EAP packets handled per session, retransmits and discards included. */
  maxRounds: number;
  /** EAP octets received per session. */
  maxBytesIn: number;
  /** Session lifetime from start(), measured with the engine clock. */
  lifetimeMs: number;
  /** Largest reassembled TLS message (one peer flight). */
  maxMessageBytes: number;
  /** Most fragments per peer flight. */
  maxFragments: number;
}

export const DEFAULT_EAP_TLS_LIMITS: Readonly<EapTlsLimits> = Object.freeze({
  maxRounds: 50,
  maxBytesIn: 128 * 1024,
  lifetimeMs: 30_000,
  maxMessageBytes: 64 * 1024,
  maxFragments: 64,
});

export interface AuthorizeResult {
  allow: boolean;
  reasons: string[];
}

export interface AuthorizeContext {
  identity: string;
  tlsVersion: TlsVersion;
}

/** Called once the TLS handshake verified the chain, before the final flight is sent. */
export type AuthorizeHook = (peerChainDer: Buffer[], ctx: AuthorizeContext) => Promise<AuthorizeResult>;

export interface EapTlsEngineOptions {
  tls: EapTlsServerConfig;
  limits?: Partial<EapTlsLimits>;
  /** Milliseconds clock (injectable for tests); default Date.now. */
  now?: () => number;
  authorize?: AuthorizeHook;
  /** Largest EAP packet sent, the ceiling Framed-MTU can only lower (default 1000). */
  maxEapPacket?: number;
  /** Send L on unfragmented messages too (legacy supplicants). */
  alwaysIncludeLength?: boolean;
}

export interface EapStartInput {
  /** The peer's EAP-Response/Identity, as carried in EAP-Message. */
  identityResponse: Buffer;
  /** Framed-MTU from the Access-Request, if any. */
  framedMtu?: number;
}

export interface EapChallengeStep {
  kind: 'challenge';
  /** EAP-Request to send in an Access-Challenge. */
  eap: Buffer;
}

export interface EapSuccessStep {
  kind: 'success';
  /** EAP-Success to send in the Access-Accept. */
  eap: Buffer;
  /** EAP-Response/Identity as sent: unauthenticated (often an anonymous NAI); decide on the chain. */
  identity: string;
  tlsVersion: TlsVersion;
  msk: Buffer;
  emsk: Buffer;
  mppeRecvKey: Buffer;
  mppeSendKey: Buffer;
  /** Verified client chain, DER, leaf first. */
  peerChainDer: Buffer[];
}

export interface EapFailureStep {
  kind: 'failure';
  /** EAP-Failure to send in the Access-Reject. */
  eap: Buffer;
  reason: string;
  /** Denial reasons from the authorize hook. */
  reasons?: string[];
  error?: AppError;
}

export interface EapDiscardStep {
  kind: 'discard';
  reason: string;
  error?: AppError;
}

export type EapStep = EapChallengeStep | EapSuccessStep | EapFailureStep | EapDiscardStep;

/** Splits an MSK into the RFC 2548 MS-MPPE keys as RFC 5216 §2.3 assigns them. */
export function mppeKeysFromMsk(msk: Buffer): { mppeRecvKey: Buffer; mppeSendKey: Buffer } {
  return { mppeRecvKey: Buffer.from(msk.subarray(0, 32)), mppeSendKey: Buffer.from(msk.subarray(32, 64)) };
}
