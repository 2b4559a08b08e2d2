/**
 * EAP-TLS fragmentation and reassembly (RFC 5216 §2.1.5, §3.1).
 *
 * Incoming (peer -> server), TlsReassembler:
 * - The first fragment of a fragmented message MUST carry L (RFC 5216 §3.1); its TLS Message Length
 *   is checked against `maxMessageBytes` before anything is buffered (-> ERR_EAP_LIMIT).
 * - A later fragment may repeat L only with the same total; it must carry data; the running total
 *   may never exceed the announced one; the fragment without M must complete it exactly.
 * - An unfragmented message (no M) with L must have TLS Message Length == its data length.
 * - At most `maxFragments` fragments per message (-> ERR_EAP_LIMIT). The caller ACKs each fragment
 *   with an empty EAP-TLS Request (RFC 5216 §2.1.5).
 * - Protocol violations throw ERR_EAP_MALFORMED; the reassembler is then reset.
 *
 * Outgoing (server -> peer), fragmentTlsMessage:
 * - Fragment data size = EAP MTU - 10 (EAP header 4, Type 1, Flags 1, TLS Message Length 4).
 * - L (with the total) on the first fragment of a fragmented message only (optionally always);
 *   M on every fragment but the last. The peer ACKs each fragment with an empty EAP-TLS Response.
 *
 * EAP MTU from Framed-MTU (RFC 2865 §5.12, used for 802.1X per RFC 3580): the link MTU carries
 * the 4-octet EAPOL header (IEEE 802.1X), so EAP MTU = Framed-MTU - 4, clamped to
 * [MIN_EAP_MTU, ceiling]; the ceiling (default 1000) keeps Access-Challenges far below the 4096-octet
 * RADIUS limit; like FreeRADIUS, Framed-MTU can only lower it. Absent Framed-MTU -> the ceiling.
 */
import { AppError } from '../../platform/errors.ts';
import type { EapTlsData } from './packet.ts';

export const EAPOL_HEADER_LEN = 4;
/** EAP header (4) + Type (1) + Flags (1) + TLS Message Length (4). */
export const EAP_TLS_OVERHEAD = 10;
export const DEFAULT_EAP_MTU = 1000;
/** Below this the handshake needs more rounds than any sane cap allows; smaller values are clamped up. */
export const MIN_EAP_MTU = 128;

export interface ReassemblyLimits {
  /** Largest TLS message (one flight) accepted from the peer. */
  maxMessageBytes: number;
  /** Most fragments accepted for one TLS message. */
  maxFragments: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = { maxMessageBytes: 64 * 1024, maxFragments: 64 };

/** EAP MTU (max EAP packet size we send) for a Framed-MTU value from the Access-Request. */
export function eapMtuFromFramedMtu(framedMtu: number | undefined, ceiling = DEFAULT_EAP_MTU): number {
  const top = Math.max(MIN_EAP_MTU, Math.floor(ceiling));
  if (framedMtu === undefined || !Number.isFinite(framedMtu)) return top;
  const mtu = Math.floor(framedMtu) - EAPOL_HEADER_LEN;
  return Math.min(top, Math.max(MIN_EAP_MTU, mtu));
}

/** TLS bytes per outgoing fragment for a given EAP MTU. */
export function fragmentDataSize(eapMtu: number): number {
  return Math.max(MIN_EAP_MTU, Math.floor(eapMtu)) - EAP_TLS_OVERHEAD;
}

/** Splits one outgoing TLS message (a flight) into EAP-TLS fragments. Empty message -> one ACK. */
export function fragmentTlsMessage(message: Buffer, maxData: number, alwaysIncludeLength = false): EapTlsData[] {
  if (!Number.isInteger(maxData) || maxData < 1) throw new AppError('ERR_BAD_INPUT', 'bad fragment size');
  const fragmented = message.length > maxData;
  const out: EapTlsData[] = [];
  let offset = 0;
  do {
    const data = message.subarray(offset, offset + maxData);
    const first = offset === 0;
    offset += data.length;
    out.push({
      start: false,
      more: offset < message.length,
      tlsMessageLength: first && (fragmented || alwaysIncludeLength) ? message.length : undefined,
      data,
    });
  } while (offset < message.length);
  return out;
}

function malformed(message: string): AppError {
  return new AppError('ERR_EAP_MALFORMED', message);
}

/** Reassembles one incoming TLS message at a time. */
export class TlsReassembler {
  readonly #limits: ReassemblyLimits;
  #parts: Buffer[] = [];
  #received = 0;
  #total = 0;

  constructor(limits: Partial<ReassemblyLimits> = {}) {
    this.#limits = { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
  }

  get inProgress(): boolean {
    return this.#parts.length > 0;
  }

  reset(): void {
    this.#parts = [];
    this.#received = 0;
    this.#total = 0;
  }

  /** Adds a fragment. Returns the whole message when complete, undefined when more must be ACKed. */
  push(frag: EapTlsData): Buffer | undefined {
    try {
      return this.#push(frag);
    } catch (e) {
      this.reset();
      throw e;
    }
  }

  #push(frag: EapTlsData): Buffer | undefined {
    const { maxMessageBytes, maxFragments } = this.#limits;
    if (frag.start) throw malformed('EAP-TLS Start from the peer');
    if (!this.inProgress) {
      if (!frag.more) {
        if (frag.tlsMessageLength !== undefined && frag.tlsMessageLength !== frag.data.length) {
          throw malformed('TLS Message Length does not match an unfragmented message');
        }
        if (frag.data.length > maxMessageBytes) throw new AppError('ERR_EAP_LIMIT', 'TLS message too large');
        return frag.data;
      }
      if (frag.tlsMessageLength === undefined) throw malformed('first EAP-TLS fragment without L');
      if (frag.tlsMessageLength > maxMessageBytes) throw new AppError('ERR_EAP_LIMIT', 'TLS message too large');
      if (frag.data.length === 0 || frag.data.length >= frag.tlsMessageLength) {
        throw malformed('first EAP-TLS fragment inconsistent with its TLS Message Length');
      }
      if (maxFragments < 2) throw new AppError('ERR_EAP_LIMIT', 'too many EAP-TLS fragments');
      this.#total = frag.tlsMessageLength;
      this.#parts.push(Buffer.from(frag.data));
      this.#received = frag.data.length;
      return undefined;
    }
    if (frag.tlsMessageLength !== undefined && frag.tlsMessageLength !== this.#total) {
      throw malformed('TLS Message Length changed between fragments');
    }
    if (frag.data.length === 0) throw malformed('empty EAP-TLS fragment during reassembly');
    if (this.#parts.length + 1 > maxFragments) throw new AppError('ERR_EAP_LIMIT', 'too many EAP-TLS fragments');
    const received = this.#received + frag.data.length;
    if (received > this.#total) throw malformed('EAP-TLS fragments exceed the TLS Message Length');
    if (frag.more === (received === this.#total)) {
      throw malformed(frag.more ? 'M flag set on a complete message' : 'EAP-TLS message ended short');
    }
    this.#parts.push(Buffer.from(frag.data));
    this.#received = received;
    if (frag.more) return undefined;
    const message = Buffer.concat(this.#parts, this.#total);
    this.reset();
    return message;
  }
}
