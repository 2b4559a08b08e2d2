/**
 * An in-process RADIUS NAS + EAP-TLS supplicant for integration tests: wraps the EAP test peer
 * (test/unit/radius-bridge/eap/peer.ts, written independently of the engine) into signed
 * Access-Requests carrying EAP-Message, State and Calling-Station-Id, through the bridge's
 * transport-agnostic handler.
 */
import type tls from 'node:tls';
import {
  decodePacket,
  encodePacket,
  verifyResponse,
  type AttributeInput,
  type DecodedPacket,
} from '../../radius-bridge/codec/index.ts';
import type { RadiusBridge, RequestContext } from '../../radius-bridge/index.ts';
import { EapTlsPeer } from '../unit/radius-bridge/eap/peer.ts';

export interface EapRun {
  final: DecodedPacket | null;
  rounds: number;
  peer: EapTlsPeer;
  /** Every request sent, with the reply it got. */
  log: Array<{ request: Buffer; reply: Buffer | null }>;
}

export class RadiusEapClient {
  #id = 0;
  constructor(
    readonly bridge: RadiusBridge,
    readonly ctx: RequestContext,
    readonly secret: string,
  ) {}

  request(attrs: AttributeInput[]): Buffer {
    this.#id = (this.#id + 1) & 0xff;
    return encodePacket({ code: 'Access-Request', identifier: this.#id, attributes: attrs }, this.secret);
  }

  async send(packet: Buffer): Promise<DecodedPacket | null> {
    const reply = await this.bridge.handle(packet, this.ctx);
    return reply ? verifyResponse(reply, packet.subarray(4, 20), this.secret) : null;
  }

  /** A full EAP-TLS authentication; `mac` goes in Calling-Station-Id. */
  async run(
    tlsOpts: tls.ConnectionOptions,
    opts: { mac?: string; framedMtu?: number; fragmentSize?: number; maxRounds?: number } = {},
  ): Promise<EapRun> {
    const peer = new EapTlsPeer({ tls: tlsOpts, fragmentSize: opts.fragmentSize });
    const common: AttributeInput[] = [
      { name: 'Calling-Station-Id', value: opts.mac ?? '02-00-00-00-00-99' },
      { name: 'NAS-Port-Type', value: 'Ethernet' },
      ...(opts.framedMtu ? [{ name: 'Framed-MTU' as const, value: opts.framedMtu }] : []),
    ];
    const log: EapRun['log'] = [];
    let eap = peer.identityResponse(1, 'anonymous');
    let state: Buffer | undefined;
    for (let rounds = 1; rounds <= (opts.maxRounds ?? 200); rounds++) {
      const packet = this.request([
        { name: 'User-Name', value: 'anonymous' },
        ...common,
        { name: 'EAP-Message', value: eap },
        ...(state ? [{ name: 'State' as const, value: state }] : []),
      ]);
      const reply = await this.bridge.handle(packet, this.ctx);
      log.push({ request: packet, reply });
      if (!reply) return { final: null, rounds, peer, log };
      const d = verifyResponse(reply, packet.subarray(4, 20), this.secret);
      if (d.codeName !== 'Access-Challenge') return { final: d, rounds, peer, log };
      state = d.get('State');
      eap = await peer.respond(d.getConcatenated('EAP-Message')!);
    }
    throw new Error('runaway EAP exchange');
  }
}

export { decodePacket };
