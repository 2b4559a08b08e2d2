/**
 * The transport-agnostic packet handler: datagram (UDP or one RadSec record) -> reply or null.
 *
 * Rules:
 * - Decode strictly (codec/decode.ts); anything malformed is silently discarded and counted
 *   (RFC 2865 §3). Octets past Length are ignored; the packet is the first Length octets.
 * - Retransmissions (same NAS, source, Identifier, Request Authenticator and octets) get the cached
 *   reply; the same key with other octets is a replay and is dropped (reply-cache.ts, RFC 5080 §2.2.2).
 * - Codes by port: Access-Request on the auth port and RadSec; Accounting-Request on the accounting
 *   port and RadSec (RFC 2866 §3, RFC 6614 §2.4); Status-Server everywhere (RFC 5997 §3); anything
 *   else is discarded.
 * - Authenticators verified in constant time (codec/verify.ts): Access-Request without a valid
 *   Message-Authenticator is dropped where the NAS requires it (BlastRADIUS, CVE-2024-3596), with
 *   EAP-Message (RFC 3579 §3.3), and with Proxy-State under limitProxyState.
 * - Replies: Message-Authenticator first in every Access-Accept/Reject/Challenge (codec/encode.ts);
 *   Proxy-State attributes copied in order at the end (RFC 2865 §5.33); Status-Server answered
 *   with Access-Accept on auth/RadSec and Accounting-Response on the accounting port (RFC 5997 §3).
 * - An internal failure drops the request (counted, logged) and forgets it, so the NAS's retransmit
 *   is processed again; it never throws to the transport.
 */
import {
  decodePacket,
  encodePacket,
  verifyRequest,
  type AttributeInput,
  type DecodedPacket,
  type RadiusCodeName,
} from '../codec/index.ts';
import type { Logger } from '../../platform/log.ts';
import { toAppError } from '../../platform/errors.ts';
import type { RadiusMetrics } from './metrics.ts';
import type { NasClient } from './nas.ts';
import { CONFLICT, type ReplyCache } from './reply-cache.ts';

export type PortKind = 'auth' | 'acct' | 'radsec';

export interface RequestContext {
  nas: NasClient;
  port: PortKind;
  /** "address:port" of the sender, or the RadSec connection (the duplicate-detection key). */
  source: string;
  /** Sender IP address (where CoA goes unless the NAS names another). */
  address: string;
}

export interface Reply {
  code: RadiusCodeName;
  attributes: AttributeInput[];
}

export interface RequestHandlers {
  access(req: DecodedPacket, ctx: RequestContext): Promise<Reply | null>;
  accounting(req: DecodedPacket, ctx: RequestContext): Promise<Reply | null>;
}

const ACCESS_REQUEST = 1;
const ACCOUNTING_REQUEST = 4;
const STATUS_SERVER = 12;

export class PacketHandler {
  constructor(
    private readonly handlers: RequestHandlers,
    private readonly cache: ReplyCache,
    private readonly metrics: RadiusMetrics,
    private readonly log: Logger,
  ) {}

  /** Never throws; null means "send nothing". */
  handle(datagram: Buffer, ctx: RequestContext): Promise<Buffer | null> {
    let req: DecodedPacket;
    try {
      req = decodePacket(datagram);
    } catch {
      this.metrics.drop('malformed');
      return Promise.resolve(null);
    }
    const wire = datagram.length === req.length ? datagram : datagram.subarray(0, req.length);
    const cached = this.cache.get(ctx.source, req.identifier, req.authenticator, wire);
    if (cached === CONFLICT) {
      this.metrics.drop('replay-conflict');
      return Promise.resolve(null);
    }
    if (cached) {
      this.metrics.retransmits.inc();
      return cached;
    }
    const code = req.code;
    const allowed =
      code === STATUS_SERVER ||
      (code === ACCESS_REQUEST && ctx.port !== 'acct') ||
      (code === ACCOUNTING_REQUEST && ctx.port !== 'auth');
    if (!allowed) {
      this.metrics.drop('unexpected-code');
      return Promise.resolve(null);
    }
    try {
      verifyRequest(wire, req, ctx.nas.secret, {
        requireMessageAuthenticator: ctx.nas.requireMessageAuthenticator,
        limitProxyState: ctx.nas.limitProxyState,
      });
    } catch {
      const missing = code === ACCESS_REQUEST && !req.has('Message-Authenticator');
      this.metrics.drop(missing ? 'missing-message-authenticator' : 'bad-authenticator');
      return Promise.resolve(null);
    }
    this.metrics.request(req.codeName);
    const reply = this.#dispatch(req, ctx).then(
      (r) => (r ? this.#encode(req, r, ctx) : null),
      (e: unknown) => {
        this.cache.delete(ctx.source, req.identifier);
        this.metrics.drop('internal-error');
        this.log.error({ err: toAppError(e), nas: ctx.nas.name, code: req.codeName }, 'RADIUS request failed');
        return null;
      },
    );
    this.cache.set(ctx.source, req.identifier, req.authenticator, wire, reply);
    return reply;
  }

  #dispatch(req: DecodedPacket, ctx: RequestContext): Promise<Reply | null> {
    try {
      if (req.code === STATUS_SERVER) {
        return Promise.resolve({ code: ctx.port === 'acct' ? 'Accounting-Response' : 'Access-Accept', attributes: [] });
      }
      return req.code === ACCESS_REQUEST ? this.handlers.access(req, ctx) : this.handlers.accounting(req, ctx);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #encode(req: DecodedPacket, reply: Reply, ctx: RequestContext): Buffer {
    let attributes = reply.attributes;
    for (const a of req.attributes) {
      if (a.type !== 33) continue; // Proxy-State, copied in order
      if (attributes === reply.attributes) attributes = [...attributes];
      attributes.push(a);
    }
    return encodePacket({ code: reply.code, identifier: req.identifier, attributes }, ctx.nas.secret, {
      requestAuthenticator: req.authenticator,
      requestCode: req.code,
    });
  }
}
