/**
 * EAP-TLS over RADIUS (RFC 3579, RFC 5216, RFC 9190): EAP sessions keyed by the State attribute.
 *
 * Rules:
 * - A request without State must carry EAP-Response/Identity and starts a session; its
 *   Access-Challenge carries a fresh random 16-octet State (RFC 2865 §5.24) that every later round
 *   must echo. An unknown State, or one presented by another NAS, is discarded and counted.
 * - EAP-Message is reassembled from all its attributes (RFC 3579 §3.1); fragment size follows
 *   Framed-MTU (eap/fragment.ts). Session caps (rounds, bytes, lifetime) are the engine's; the table
 *   holds at most `maxSessions` (new Identity requests beyond it are discarded and counted) and is
 *   swept every second, so half-open sessions die at their lifetime.
 * - The per-State context (NAS, Calling-Station-Id) is kept through every round; a round naming
 *   a different Calling-Station-Id is discarded. The final Accept is built from it: EAP-Success,
 *   the RFC 3580 VLAN attributes, User-Name/Class, MS-MPPE-Recv/Send-Key (salted by the codec,
 *   RFC 2548 §2.4.2-§2.4.3; Recv = MSK[0..31], Send = MSK[32..63], RFC 5216 §2.3).
 * - The Accept is only sent after a live check at that moment: the chain was verified by TLS
 *   against our issuing CA(s); the leaf's status comes from the CA store (ca.statusOfCert, never a
 *   cache: revoked or unknown -> deny; a store failure is `status-unavailable`, never good); the
 *   device is the one in its URI SAN urn:gatehouse:device:<id>, which the CA's record must agree
 *   with; then policy/vlan.ts decides. A denial turns the EAP-Success into EAP-Failure in an
 *   Access-Reject (RFC 3579 §2.6.3).
 */
import { randomBytes } from 'node:crypto';
import type { CertificateAuthority } from '../../ca/index.ts';
import type { DecodedPacket } from '../codec/index.ts';
import { buildEapFailure, type EapSuccessStep, type EapTlsEngine, type EapTlsSession } from '../eap/index.ts';
import { acceptAttributes, vlanDecision, type PolicyConfig } from '../policy/vlan.ts';
import type { Reply, RequestContext } from '../server/handler.ts';
import type { RadiusMetrics } from '../server/metrics.ts';
import type { DecisionLog } from './decisions.ts';
import { certificateFacts, type DeviceDirectory } from './directory.ts';
import { macOf } from './mab.ts';

interface Entry {
  session: EapTlsSession;
  nas: string;
  callingStationId: string | undefined;
  mac: string | null;
  expires: number;
}

export interface EapAuthenticatorDeps {
  engine: EapTlsEngine;
  ca: CertificateAuthority;
  dir: DeviceDirectory;
  decisions: DecisionLog;
  metrics: RadiusMetrics;
  policy: PolicyConfig;
  maxSessions: number;
  lifetimeMs: number;
  now?: () => number;
}

export class EapAuthenticator {
  readonly #states = new Map<string, Entry>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: EapAuthenticatorDeps) {
    this.#now = deps.now ?? Date.now;
  }

  get sessions(): number {
    return this.#states.size;
  }

  startSweeper(everyMs = 1000): void {
    this.#timer ??= setInterval(() => this.sweep(), everyMs).unref();
  }

  async handle(req: DecodedPacket, ctx: RequestContext): Promise<Reply | null> {
    const eap = req.getConcatenated('EAP-Message') as Buffer;
    const state = req.get('State');
    if (!state) return this.#start(req, eap, ctx);
    const key = state.toString('latin1');
    const entry = this.#states.get(key);
    const csi = req.getString('Calling-Station-Id');
    const otherStation = csi !== undefined && entry?.callingStationId !== undefined && csi !== entry.callingStationId;
    if (!entry || entry.nas !== ctx.nas.name || otherStation) {
      this.deps.metrics.drop('unknown-state');
      return null;
    }
    const step = await entry.session.handle(eap);
    switch (step.kind) {
      case 'challenge':
        return challenge(step.eap, state);
      case 'discard':
        this.deps.metrics.drop('eap-discard');
        return null;
      case 'failure':
        this.#forget(key);
        this.#record(entry, ctx, `eap:${entry.session.identity}`, {
          allow: false,
          vlan: null,
          reasons: step.reasons?.length ? step.reasons : [`eap-${step.reason}`],
        });
        return { code: 'Access-Reject', attributes: [{ name: 'EAP-Message', value: step.eap }] };
      case 'success':
        this.#forget(key);
        return this.#accept(step, entry, ctx);
    }
  }

  /** Closes sessions past their lifetime (and finished ones); returns how many went. */
  sweep(): number {
    const now = this.#now();
    let n = 0;
    for (const [k, e] of this.#states) {
      if (e.expires <= now || e.session.closed) {
        e.session.close('lifetime');
        this.#states.delete(k);
        n++;
      }
    }
    this.deps.engine.sweep();
    this.deps.metrics.eapSessions.set(this.#states.size);
    return n;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const e of this.#states.values()) e.session.close('shutdown');
    this.#states.clear();
    this.deps.engine.close();
  }

  #start(req: DecodedPacket, eap: Buffer, ctx: RequestContext): Reply | null {
    if (this.#states.size >= this.deps.maxSessions && (this.sweep(), this.#states.size >= this.deps.maxSessions)) {
      this.deps.metrics.drop('eap-sessions-full');
      return null;
    }
    let started;
    try {
      started = this.deps.engine.start({ identityResponse: eap, framedMtu: req.getInt('Framed-MTU') });
    } catch {
      this.deps.metrics.drop('eap-discard');
      return null;
    }
    if (started.step.kind !== 'challenge') {
      started.session.close('start-failed');
      this.deps.metrics.drop('eap-discard');
      return null;
    }
    const state = randomBytes(16);
    const csi = req.getString('Calling-Station-Id');
    this.#states.set(state.toString('latin1'), {
      session: started.session,
      nas: ctx.nas.name,
      callingStationId: csi,
      mac: macOf(csi),
      expires: this.#now() + this.deps.lifetimeMs,
    });
    return challenge(started.step.eap, state);
  }

  async #accept(step: EapSuccessStep, entry: Entry, ctx: RequestContext): Promise<Reply> {
    const facts = await certificateFacts(this.deps.ca, this.deps.dir, step.peerChainDer[0]);
    const decision = vlanDecision({
      method: 'eap-tls',
      device: facts.device,
      segment: facts.segment,
      cert: facts.cert,
      nas: ctx.nas,
      policy: this.deps.policy,
    });
    if (facts.notes.length) decision.reasons.push(...facts.notes);
    const deviceId = facts.device?.id ?? null;
    const subject = deviceId
      ? `device:${deviceId}`
      : facts.cert.sanDeviceId
        ? `device:${facts.cert.sanDeviceId}`
        : `eap:${step.identity}`;
    this.#record(entry, ctx, subject, decision, facts.serial);
    if (!decision.allow || decision.vlan === null) {
      return { code: 'Access-Reject', attributes: [{ name: 'EAP-Message', value: buildEapFailure(step.eap[1] ?? 0) }] };
    }
    return {
      code: 'Access-Accept',
      attributes: [
        { name: 'EAP-Message', value: step.eap },
        ...acceptAttributes(decision.vlan, deviceId),
        { name: 'MS-MPPE-Recv-Key', value: step.mppeRecvKey },
        { name: 'MS-MPPE-Send-Key', value: step.mppeSendKey },
      ],
    };
  }

  #record(
    entry: Entry,
    ctx: RequestContext,
    subject: string,
    decision: ReturnType<typeof vlanDecision>,
    serial?: string | null,
  ): void {
    this.deps.decisions.record({
      method: 'eap-tls',
      nas: ctx.nas.name,
      subject,
      mac: entry.mac,
      decision,
      serial: serial ?? null,
    });
  }

  #forget(key: string): void {
    this.#states.delete(key);
  }
}

function challenge(eap: Buffer, state: Buffer): Reply {
  return {
    code: 'Access-Challenge',
    attributes: [
      { name: 'EAP-Message', value: eap },
      { name: 'State', value: state },
    ],
  };
}
