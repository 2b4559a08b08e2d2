/**
 * Access-Request dispatch and MAC Authentication Bypass.
 *
 * Rules:
 * - EAP-Message present -> EAP-TLS (auth/eap.ts); the codec already required Message-Authenticator
 *   for it (RFC 3579 §3.3). No EAP-Message -> MAB, whatever PAP/CHAP password the switch put in:
 *   MAB trusts only the Calling-Station-Id and the inventory, never a password derived from the MAC.
 * - The MAC comes from Calling-Station-Id (RFC 3580 §3.21: the supplicant's MAC for 802.1X ports),
 *   normalised by the inventory's normalizeMac (any common notation). None, or not a MAC -> reject
 *   with reason `no-calling-station-id`. User-Name / User-Password carry nothing we trust
 *   (switches send the MAC in both) and are ignored.
 * - The inventory device owning the MAC and its segment feed policy/vlan.ts (method 'mab').
 * - Accept carries the RFC 3580 VLAN attributes (and User-Name/Class for a known device); Reject
 *   carries nothing but Message-Authenticator (added by the codec). Inventory errors propagate
 *   (the request is dropped, never accepted: fail closed).
 * - The decision is memoised per (cached device object, NAS) and recomputed as soon as the
 *   directory hands out a new device or segment object (TTL or 'device.changed'), so the hot
 *   path reuses one verdict and one reply attribute list; replies are never mutated downstream.
 */
import { normalizeMac } from '../../enrollment/index.ts';
import type { AttributeInput, DecodedPacket } from '../codec/index.ts';
import {
  acceptAttributes,
  vlanDecision,
  type DeviceFacts,
  type PolicyConfig,
  type VlanDecision,
} from '../policy/vlan.ts';
import type { Reply, RequestContext } from '../server/handler.ts';
import { decisionKey, type DecisionLog } from './decisions.ts';
import type { DeviceDirectory, Segmentish } from './directory.ts';
import type { EapAuthenticator } from './eap.ts';

const macCache = new Map<string, string | null>();

/** normalizeMac with a small memo (the same few thousand MACs arrive over and over). */
export function macOf(text: string | undefined): string | null {
  if (!text) return null;
  let m = macCache.get(text);
  if (m === undefined) {
    m = normalizeMac(text);
    if (macCache.size >= 65_536) macCache.clear();
    macCache.set(text, m);
  }
  return m;
}

interface Memo {
  segment: Segmentish | null;
  decision: VlanDecision;
  reply: Reply;
  subject: string;
  /** decisionKey() of this verdict's subject on this NAS, built once. */
  key: string;
}

const REJECT: Reply = Object.freeze({
  code: 'Access-Reject',
  attributes: Object.freeze([]) as unknown as AttributeInput[],
}) as Reply;

export class MabAuthenticator {
  /** Decisions per cached device object and NAS: recomputed when the directory hands out new objects. */
  readonly #memo = new WeakMap<DeviceFacts, Map<string, Memo>>();
  readonly #unknown = new Map<string, VlanDecision>();

  constructor(
    private readonly dir: DeviceDirectory,
    private readonly decisions: DecisionLog,
    private readonly policy: PolicyConfig,
  ) {}

  async handle(req: DecodedPacket, ctx: RequestContext): Promise<Reply> {
    const mac = macOf(req.getString('Calling-Station-Id'));
    if (!mac) return this.#unknownMac(ctx, null, { allow: false, vlan: null, reasons: ['no-calling-station-id'] });
    const device = await this.dir.byMac(mac);
    if (!device) {
      let d = this.#unknown.get(ctx.nas.name);
      if (!d) {
        d = vlanDecision({ method: 'mab', device: null, segment: null, cert: null, nas: ctx.nas, policy: this.policy });
        this.#unknown.set(ctx.nas.name, d);
      }
      return this.#unknownMac(ctx, mac, d);
    }
    const segment = await this.dir.segment(device.segment);
    let perNas = this.#memo.get(device);
    if (!perNas) this.#memo.set(device, (perNas = new Map()));
    let m = perNas.get(ctx.nas.name);
    if (!m || m.segment !== segment) {
      const decision = vlanDecision({ method: 'mab', device, segment, cert: null, nas: ctx.nas, policy: this.policy });
      const reply =
        decision.allow && decision.vlan !== null
          ? { code: 'Access-Accept' as const, attributes: acceptAttributes(decision.vlan, device.id) }
          : REJECT;
      const subject = `device:${device.id}`;
      m = { segment, decision, reply, subject, key: decisionKey('mab', ctx.nas.name, subject) };
      perNas.set(ctx.nas.name, m);
    }
    this.decisions.record({ method: 'mab', nas: ctx.nas.name, subject: m.subject, mac, decision: m.decision, key: m.key });
    return m.reply;
  }

  #unknownMac(ctx: RequestContext, mac: string | null, decision: VlanDecision): Reply {
    this.decisions.record({ method: 'mab', nas: ctx.nas.name, subject: `mac:${mac ?? 'none'}`, mac, decision });
    if (!decision.allow || decision.vlan === null) return REJECT;
    return { code: 'Access-Accept', attributes: acceptAttributes(decision.vlan, null) };
  }
}

const TYPE_EAP_MESSAGE = 79;

export function accessHandler(eap: EapAuthenticator, mab: MabAuthenticator) {
  return (req: DecodedPacket, ctx: RequestContext): Promise<Reply | null> => {
    for (const a of req.attributes) if (a.type === TYPE_EAP_MESSAGE) return eap.handle(req, ctx);
    return mab.handle(req, ctx);
  };
}
