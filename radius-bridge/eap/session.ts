/**
 * The per-session EAP-TLS server state machine (RFC 5216 §2.1, RFC 9190 §2.1).
 *
 * Rules:
 * - Identifiers and retransmissions per exchange.ts; caps per budget.ts (-> ERR_EAP_LIMIT).
 *   Non-Responses, unparseable packets and wrong ids are silently discarded (RFC 3748 §4.1);
 *   Success/Failure carry the id of the Response they answer (RFC 3748 §4.2).
 * - Flow: Start (S) -> peer flights reassembled (each fragment ACKed with an empty Request) ->
 *   TLS output fragmented (each peer ACK releases the next fragment) -> after the handshake the
 *   final flight (TLS 1.2 CCS+Finished; TLS 1.3 commitment message 0x00, RFC 9190 §2.5) -> peer
 *   ACK -> EAP-Success. A TLS alert is forwarded, ACKed, then EAP-Failure (RFC 5216 §2.1.3).
 * - Nak or any type but EAP-TLS after Start -> failure (we offer EAP-TLS only, RFC 3748 §5.3.1).
 * - Authorization: the chain must verify in TLS, `socket.authorized` must hold, then the optional
 *   authorize hook decides before the final flight. Fail closed on any hook error.
 * - Every terminal path (success, failure, close(), sweep) destroys the TLS socket; the TLS
 *   server is created lazily at the first ClientHello and destroyed as soon as keys are exported.
 * - Packets are processed one at a time per session (a queue), so a retransmission arriving while
 *   the original is processed still gets the cached reply.
 */
import { AppError, toAppError } from '../../platform/errors.ts';
import { SessionBudget } from './budget.ts';
import { EapExchange } from './exchange.ts';
import { fragmentTlsMessage, TlsReassembler } from './fragment.ts';
import { buildEapFailure, buildEapSuccess, EAP_CODE, EAP_TYPE, isEapTlsAck, parseEap, parseEapTls } from './packet.ts';
import type { EapPacket, EapTlsData } from './packet.ts';
import { TlsServerSession } from './tls-session.ts';
import { mppeKeysFromMsk, type EapFailureStep, type EapStep, type EapSuccessStep } from './types.ts';
import type { SessionContext } from './engine.ts';

type Phase = 'await-peer' | 'sending' | 'await-final-ack' | 'closed';
type Outcome =
  { kind: 'handshake' } | { kind: 'success'; step: Omit<EapSuccessStep, 'eap'> } | { kind: 'failure'; reason: string };

const EMPTY = Buffer.alloc(0);
const ACK: EapTlsData = { start: false, more: false, tlsMessageLength: undefined, data: EMPTY };
const START: EapTlsData = { ...ACK, start: true };

export class EapTlsSession {
  readonly identity: string;
  readonly startStep: EapStep;
  readonly #ctx: SessionContext;
  readonly #budget: SessionBudget;
  readonly #exchange: EapExchange;
  readonly #reassembler: TlsReassembler;
  #phase: Phase = 'await-peer';
  #tls: TlsServerSession | undefined;
  #queue: EapTlsData[] = [];
  #after: Outcome = { kind: 'handshake' };
  #busy: Promise<unknown> = Promise.resolve();
  #closedReason: string | undefined;

  constructor(ctx: SessionContext, identity: string, identityResponse: Buffer, identityId: number) {
    this.#ctx = ctx;
    this.identity = identity;
    this.#budget = new SessionBudget(ctx.limits, ctx.now);
    this.#budget.charge(identityResponse.length);
    const { maxMessageBytes, maxFragments } = ctx.limits;
    this.#reassembler = new TlsReassembler({ maxMessageBytes, maxFragments });
    this.#exchange = new EapExchange(identityResponse, identityId);
    this.startStep = this.#exchange.nextRequest(START);
  }

  get closed(): boolean {
    return this.#phase === 'closed';
  }

  /** True while a TLS socket is alive (for leak checks). */
  get tlsLive(): boolean {
    return this.#tls !== undefined && !this.#tls.destroyed;
  }

  get expired(): boolean {
    return this.#budget.expired;
  }

  get startedAt(): number {
    return this.#budget.startedAt;
  }

  /** Handles one EAP packet from the peer (the reassembled EAP-Message). Never throws. */
  handle(packet: Buffer): Promise<EapStep> {
    const run = this.#busy.then(() => this.#process(packet));
    this.#busy = run.catch(() => undefined);
    return run.catch((e: unknown) => this.#fail(this.#exchange.requestId, 'internal-error', toAppError(e)));
  }

  /** Ends the session (caller's State table expiry, shutdown). Idempotent. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.#closedReason = reason;
    this.#terminate();
  }

  async #process(packet: Buffer): Promise<EapStep> {
    let parsed: EapPacket | undefined;
    let parseError: AppError | undefined;
    try {
      parsed = parseEap(packet);
    } catch (e) {
      parseError = toAppError(e);
    }
    const replyId = parsed ? parsed.id : this.#exchange.requestId;
    const retransmit = parsed !== undefined && this.#exchange.isRetransmit(parsed.id, packet);
    if (this.closed) {
      if (retransmit) return this.#exchange.lastStep!;
      if (!this.#closedReason) return { kind: 'discard', reason: 'session-finished' };
      return { kind: 'failure', eap: buildEapFailure(replyId), reason: this.#closedReason };
    }
    const breach = this.#budget.charge(packet.length);
    if (breach) return this.#fail(replyId, breach, new AppError('ERR_EAP_LIMIT', `EAP session ${breach}`));
    if (!parsed) return { kind: 'discard', reason: 'malformed-eap', error: parseError };
    if (parsed.code !== EAP_CODE.response) return { kind: 'discard', reason: 'not-a-response' };
    if (retransmit) return this.#exchange.lastStep!;
    if (parsed.id !== this.#exchange.requestId) return { kind: 'discard', reason: 'unexpected-identifier' };
    this.#exchange.accept(packet);
    const id = parsed.id;
    if (parsed.type === EAP_TYPE.nak) return this.#fail(id, 'peer-nak');
    if (parsed.type !== EAP_TYPE.tls) return this.#fail(id, 'unexpected-eap-type');
    let frag: EapTlsData;
    try {
      frag = parseEapTls(parsed.typeData);
    } catch (e) {
      return this.#fail(id, 'malformed-eap-tls', toAppError(e));
    }
    return this.#exchange.remember(await this.#dispatch(id, frag));
  }

  async #dispatch(id: number, frag: EapTlsData): Promise<EapStep> {
    const ack = isEapTlsAck(frag) && !this.#reassembler.inProgress;
    switch (this.#phase) {
      case 'sending':
        return ack ? this.#sendNext() : this.#fail(id, 'expected-ack', malformed('peer data while fragments pending'));
      case 'await-final-ack':
        if (this.#after.kind === 'failure') return this.#fail(id, this.#after.reason);
        if (!ack) return this.#fail(id, 'unexpected-data-after-handshake', malformed('data after the final flight'));
        return this.#succeed(id);
      case 'await-peer': {
        if (!ack) return this.#receive(id, frag);
        const late = this.#tls?.takeLateOutput() ?? EMPTY;
        if (!late.length) return this.#fail(id, 'unexpected-ack', malformed('ACK with nothing outstanding'));
        return this.#send(late, { kind: 'handshake' });
      }
      default:
        return { kind: 'discard', reason: 'session-finished' };
    }
  }

  async #receive(id: number, frag: EapTlsData): Promise<EapStep> {
    let message: Buffer | undefined;
    try {
      message = this.#reassembler.push(frag);
    } catch (e) {
      const err = toAppError(e);
      return this.#fail(id, err.code === 'ERR_EAP_LIMIT' ? 'fragment-limit' : 'bad-fragment', err);
    }
    if (!message) return this.#exchange.nextRequest(ACK);
    this.#tls ??= new TlsServerSession(this.#ctx.tlsServer, this.#ctx.limits.lifetimeMs);
    const step = await this.#tls.feed(message);
    if (this.expired) return this.#fail(id, 'lifetime', new AppError('ERR_EAP_LIMIT', 'EAP session lifetime'));
    if (step.state === 'failed') {
      const reason = `tls:${step.reason ?? 'error'}`;
      if (!step.output.length) return this.#fail(id, reason);
      this.#tls.destroy();
      return this.#send(step.output, { kind: 'failure', reason });
    }
    if (step.state === 'handshaking') return this.#send(step.output, { kind: 'handshake' });
    return this.#established(id, step.output);
  }

  async #established(id: number, finalFlight: Buffer): Promise<EapStep> {
    const tls = this.#tls!;
    const tlsVersion = tls.version!;
    const peerChainDer = tls.peerChainDer();
    const { msk, emsk } = tls.exportKeys();
    tls.destroy();
    if (this.#ctx.authorize) {
      let verdict;
      try {
        verdict = await this.#ctx.authorize(peerChainDer, { identity: this.identity, tlsVersion });
      } catch (e) {
        return this.#fail(id, 'authorize-error', toAppError(e));
      }
      if (this.expired) return this.#fail(id, 'lifetime', new AppError('ERR_EAP_LIMIT', 'EAP session lifetime'));
      if (verdict.allow !== true) return this.#fail(id, 'not-authorized', undefined, [...(verdict.reasons ?? [])]);
    }
    const keys = { msk, emsk, ...mppeKeysFromMsk(msk) };
    const step = { kind: 'success' as const, identity: this.identity, tlsVersion, ...keys, peerChainDer };
    if (!finalFlight.length) return this.#succeed(id, step);
    return this.#send(finalFlight, { kind: 'success', step });
  }

  #send(message: Buffer, after: Outcome): EapStep {
    this.#queue = fragmentTlsMessage(message, this.#ctx.fragmentData, this.#ctx.alwaysIncludeLength);
    this.#after = after;
    this.#phase = 'sending';
    return this.#sendNext();
  }

  #sendNext(): EapStep {
    const frag = this.#queue.shift() ?? ACK;
    if (!this.#queue.length) this.#phase = this.#after.kind === 'handshake' ? 'await-peer' : 'await-final-ack';
    return this.#exchange.nextRequest(frag);
  }

  #succeed(id: number, step?: Omit<EapSuccessStep, 'eap'>): EapStep {
    const base = step ?? (this.#after.kind === 'success' ? this.#after.step : undefined);
    if (!base) return this.#fail(id, 'internal-error');
    this.#terminate();
    return this.#exchange.remember({ ...base, eap: buildEapSuccess(id) });
  }

  #fail(id: number, reason: string, error?: AppError, reasons?: string[]): EapFailureStep {
    this.#closedReason ??= reason;
    this.#terminate();
    const step: EapFailureStep = { kind: 'failure', eap: buildEapFailure(id), reason };
    if (error) step.error = error;
    if (reasons) step.reasons = reasons;
    return this.#exchange.remember(step);
  }

  #terminate(): void {
    this.#phase = 'closed';
    this.#queue = [];
    this.#reassembler.reset();
    this.#tls?.destroy();
    this.#ctx.release(this);
  }
}

function malformed(message: string): AppError {
  return new AppError('ERR_EAP_MALFORMED', message);
}
