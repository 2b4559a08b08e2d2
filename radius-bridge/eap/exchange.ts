/**
 * EAP Identifier bookkeeping and the reply cache of one session (RFC 3748 §4.1, §4.2).
 *
 * Rules:
 * - Each new Request takes the previous Request id + 1 mod 256; the first follows the id of the
 *   peer's Identity Response (which the NAS, not us, solicited).
 * - Only a Response carrying the outstanding Request's id is processed.
 * - A Response equal in id AND octets to the last processed one is a retransmission: the caller
 *   returns the cached step instead of processing it again.
 * - Discards are never cached (they send nothing).
 */
import { buildEapTls, EAP_CODE, type EapTlsData } from './packet.ts';
import type { EapChallengeStep, EapStep } from './types.ts';

export class EapExchange {
  #requestId: number;
  #lastResponse: Buffer;
  #lastStep: EapStep | undefined;

  constructor(identityResponse: Buffer, identityId: number) {
    this.#lastResponse = Buffer.from(identityResponse);
    this.#requestId = identityId & 0xff;
  }

  /** Id of the outstanding Request (the one a Response must answer). */
  get requestId(): number {
    return this.#requestId;
  }

  get lastStep(): EapStep | undefined {
    return this.#lastStep;
  }

  isRetransmit(id: number, packet: Buffer): boolean {
    return this.#lastStep !== undefined && id === this.#lastResponse[1] && packet.equals(this.#lastResponse);
  }

  /** Records `packet` as the last processed Response. */
  accept(packet: Buffer): void {
    this.#lastResponse = Buffer.from(packet);
  }

  /** Builds the next EAP-Request/EAP-TLS and caches it. */
  nextRequest(frag: EapTlsData): EapChallengeStep {
    this.#requestId = (this.#requestId + 1) & 0xff;
    const step: EapChallengeStep = { kind: 'challenge', eap: buildEapTls(EAP_CODE.request, this.#requestId, frag) };
    this.#lastStep = step;
    return step;
  }

  remember<T extends EapStep>(step: T): T {
    if (step.kind !== 'discard') this.#lastStep = step;
    return step;
  }
}
