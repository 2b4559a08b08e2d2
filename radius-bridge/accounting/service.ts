/**
 * Accounting (RFC 2866): Start / Interim-Update / Stop kept as live sessions for CoA.
 *
 * Rules:
 * - The request was already verified (Request Authenticator, RFC 2866 §3) by the packet handler.
 * - Facts are read from the attributes (RFC 2866 §5, RFC 2869 §5.1-§5.2); the session's device is
 *   the one named in our Class (RFC 2865 §5.25), else the inventory owner of the Calling-Station-Id
 *   MAC, else a device whose id is the User-Name.
 * - The Accounting-Response is sent only once the change is stored (RFC 2866 §4.1); an invalid
 *   request is discarded and counted, a store failure propagates (dropped; the NAS retries).
 * - Stale sessions (no update for `staleMs`) are purged by `purgeStale()`.
 */
import type { Db } from '../../platform/db/index.ts';
import type { DecodedPacket } from '../codec/index.ts';
import { deviceIdFromClass } from '../policy/vlan.ts';
import type { Reply, RequestContext } from '../server/handler.ts';
import type { RadiusMetrics } from '../server/metrics.ts';
import type { DeviceDirectory } from '../auth/directory.ts';
import { macOf } from '../auth/mab.ts';
import { accountingAction, statusName, type AcctFacts } from './state.ts';
import { sessionStore } from './store.ts';

const GIGA = 2 ** 32;

export class AccountingService {
  constructor(
    private readonly deps: {
      db: Db;
      dir: DeviceDirectory;
      metrics: RadiusMetrics;
      nodeId: string;
      staleMs: number;
      now?: () => number;
    },
  ) {}

  async handle(req: DecodedPacket, ctx: RequestContext): Promise<Reply | null> {
    const facts = await this.facts(req, ctx);
    const now = (this.deps.now ?? Date.now)();
    const prev = facts.acctSessionId ? await sessionStore.get(this.deps.db, ctx.nas.name, facts.acctSessionId) : null;
    const action = accountingAction(facts, prev, this.deps.nodeId, now);
    this.deps.metrics.accounting(statusName(facts.status));
    switch (action.op) {
      case 'invalid':
        this.deps.metrics.drop('malformed');
        return null;
      case 'clear-nas':
        await sessionStore.clearNas(this.deps.db, action.nasName);
        break;
      case 'stop':
        await sessionStore.remove(this.deps.db, action.nasName, action.acctSessionId);
        break;
      case 'upsert':
        await sessionStore.upsert(this.deps.db, action.session);
        break;
    }
    return { code: 'Accounting-Response', attributes: [] };
  }

  async facts(req: DecodedPacket, ctx: RequestContext): Promise<AcctFacts> {
    const int = (name: Parameters<DecodedPacket['getInt']>[0]) => req.getInt(name) ?? 0;
    const csi = req.getString('Calling-Station-Id') ?? null;
    const mac = macOf(csi ?? undefined);
    const userName = req.getString('User-Name') ?? null;
    let deviceId = deviceIdFromClass(req.get('Class'));
    if (!deviceId && mac) deviceId = (await this.deps.dir.byMac(mac))?.id ?? null;
    if (!deviceId && userName && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(userName)) {
      deviceId = (await this.deps.dir.byId(userName))?.id ?? null;
    }
    return {
      status: req.getInt('Acct-Status-Type'),
      acctSessionId: req.getString('Acct-Session-Id') || undefined,
      nasName: ctx.nas.name,
      nasAddress: ctx.address,
      nasIp: req.getAddress('NAS-IP-Address') ?? req.getAddress('NAS-IPv6-Address') ?? null,
      nasIdentifier: req.getString('NAS-Identifier') ?? null,
      nasPort: req.getInt('NAS-Port') ?? null,
      nasPortId: req.getString('NAS-Port-Id') ?? null,
      mac,
      callingStationId: csi,
      userName,
      deviceId,
      delaySeconds: int('Acct-Delay-Time'),
      sessionTime: int('Acct-Session-Time'),
      inputOctets: int('Acct-Input-Octets') + int('Acct-Input-Gigawords') * GIGA,
      outputOctets: int('Acct-Output-Octets') + int('Acct-Output-Gigawords') * GIGA,
    };
  }

  purgeStale(): Promise<number> {
    return sessionStore.removeStale(this.deps.db, (this.deps.now ?? Date.now)() - this.deps.staleMs);
  }
}
