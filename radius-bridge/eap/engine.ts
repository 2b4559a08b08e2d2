/**
 * EAP-TLS engine: validates configuration once, starts sessions from EAP-Response/Identity and
 * tracks them until they end.
 *
 * Rules:
 * - Independent of RADIUS encoding: EAP packets in and out as Buffers. The RADIUS layer keys
 *   sessions by its State attribute and calls `session.handle()` with each reassembled EAP-Message.
 * - start() accepts only an EAP-Response/Identity (RFC 3748 §5.1); the first Request id is the
 *   Response id + 1 mod 256 and carries the EAP-TLS Start flag (RFC 5216 §2.1.1).
 * - Fragment size per session from Framed-MTU (fragment.ts), ceiling `maxEapPacket`.
 * - Limits are positive finite numbers; a bad configuration throws ERR_CONFIG at construction.
 * - One TLS context per engine (shared-server.ts), built at construction, not per session.
 * - No timers of our own: `sweep()` ends sessions past their lifetime (call it from the State
 *   table's expiry loop; start() also runs it at most once a second). Each live TLS socket also
 *   has Node's handshake timer (= lifetime) as a real-time backstop, cleared on destroy.
 */
import { AppError } from '../../platform/errors.ts';
import { eapMtuFromFramedMtu, fragmentDataSize } from './fragment.ts';
import { EAP_CODE, EAP_TYPE, parseEap } from './packet.ts';
import { EapTlsSession } from './session.ts';
import { SharedTlsServer } from './shared-server.ts';
import { resolveTlsServerOptions } from './tls-session.ts';
import {
  DEFAULT_EAP_TLS_LIMITS,
  type AuthorizeHook,
  type EapStartInput,
  type EapStep,
  type EapTlsEngineOptions,
  type EapTlsLimits,
} from './types.ts';

/** start() also sweeps, at most this often, so abandoned sessions go away without a caller loop. */
const SWEEP_EVERY_MS = 1000;

/** What a session needs from its engine (internal). */
export interface SessionContext {
  now: () => number;
  limits: Readonly<EapTlsLimits>;
  tlsServer: SharedTlsServer;
  fragmentData: number;
  alwaysIncludeLength: boolean;
  authorize: AuthorizeHook | undefined;
  release: (session: EapTlsSession) => void;
}

export interface EapStartResult {
  session: EapTlsSession;
  /** The EAP-TLS Start request to send in the first Access-Challenge. */
  step: EapStep;
}

export class EapTlsEngine {
  readonly limits: Readonly<EapTlsLimits>;
  readonly #opts: EapTlsEngineOptions;
  readonly #tlsServer: SharedTlsServer;
  readonly #now: () => number;
  readonly #sessions = new Set<EapTlsSession>();
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(opts: EapTlsEngineOptions) {
    const limits = { ...DEFAULT_EAP_TLS_LIMITS, ...opts.limits };
    for (const [name, value] of Object.entries(limits)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new AppError('ERR_CONFIG', `EAP-TLS limit ${name} must be a positive number`);
      }
    }
    this.limits = Object.freeze(limits);
    this.#opts = opts;
    this.#tlsServer = new SharedTlsServer(resolveTlsServerOptions(opts.tls), this.limits.lifetimeMs);
    this.#now = opts.now ?? Date.now;
  }

  /** Starts a session from the peer's EAP-Response/Identity. Throws ERR_EAP_MALFORMED otherwise. */
  start(input: EapStartInput): EapStartResult {
    const p = parseEap(input.identityResponse);
    if (p.code !== EAP_CODE.response || p.type !== EAP_TYPE.identity) {
      throw new AppError('ERR_EAP_MALFORMED', 'expected EAP-Response/Identity');
    }
    if (this.#now() - this.#lastSweep >= SWEEP_EVERY_MS) this.sweep();
    const eapMtu = eapMtuFromFramedMtu(input.framedMtu, this.#opts.maxEapPacket);
    const ctx: SessionContext = {
      now: this.#now,
      limits: this.limits,
      tlsServer: this.#tlsServer,
      fragmentData: fragmentDataSize(eapMtu),
      alwaysIncludeLength: this.#opts.alwaysIncludeLength === true,
      authorize: this.#opts.authorize,
      release: (s) => this.#sessions.delete(s),
    };
    const session = new EapTlsSession(ctx, p.typeData.toString('utf8'), input.identityResponse, p.id);
    this.#sessions.add(session);
    return { session, step: session.startStep };
  }

  /** Sessions not yet finished. */
  get activeSessions(): number {
    return this.#sessions.size;
  }

  /** Ends every session past its lifetime; returns how many were ended. */
  sweep(): number {
    this.#lastSweep = this.#now();
    let ended = 0;
    for (const s of [...this.#sessions]) {
      if (s.expired) {
        s.close('lifetime');
        ended++;
      }
    }
    return ended;
  }

  /** Ends every session (shutdown). */
  close(): void {
    for (const s of [...this.#sessions]) s.close('shutdown');
  }
}
