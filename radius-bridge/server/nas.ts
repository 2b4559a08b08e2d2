/**
 * NAS clients: who may talk to the bridge, with which secret and which CoA behaviour.
 *
 * Rules:
 * - A packet is accepted only from an address inside a configured client's address/CIDR for the
 *   transport it arrived on; the most specific prefix wins (RFC 2865 §3: requests from unknown
 *   clients are silently discarded — the caller counts them).
 * - UDP clients use their own shared secret; RadSec clients the fixed "radsec" (RFC 6614 §2.3).
 * - Secrets live only as Buffers here; they are never logged. A secret under 16 octets draws a
 *   warning naming the client (RFC 2865 §3 recommends at least 16; RFC 6151 on MD5 weakness).
 * - Lookups are cached per address (bounded; the map is dropped when full) so the hot path does
 *   one Map.get per datagram.
 */
import type { Logger } from '../../platform/log.ts';
import { AppError } from '../../platform/errors.ts';
import type { RadiusConfig } from '../../platform/config/index.ts';
import { addressBytes, parsePrefix, prefixMatches, type Prefix } from './cidr.ts';

type NasConfig = RadiusConfig['clients'][number];
export type CoaMode = NasConfig['coa']['mode'];
export type Transport = 'udp' | 'radsec';

export interface NasClient {
  readonly name: string;
  readonly prefix: Prefix;
  readonly transport: Transport;
  readonly secret: Buffer;
  readonly requireMessageAuthenticator: boolean;
  readonly limitProxyState: boolean;
  readonly certName: string | undefined;
  readonly segments: ReadonlySet<string> | undefined;
  readonly coa: { readonly mode: CoaMode; readonly port: number; readonly address: string | undefined };
}

export const RADSEC_SECRET = Buffer.from('radsec');
export const MIN_SECRET_LENGTH = 16;
const CACHE_MAX = 4096;

export function nasFromConfig(c: NasConfig, log?: Logger): NasClient {
  let secret: Buffer;
  if (c.transport === 'radsec') secret = RADSEC_SECRET;
  else {
    const text = c.secret?.reveal();
    if (!text) throw new AppError('ERR_CONFIG', `radius.clients.${c.name}: a UDP client needs a secret`);
    secret = Buffer.from(text, 'utf8');
    if (secret.length < MIN_SECRET_LENGTH) {
      log?.warn(
        { nas: c.name, length: secret.length },
        `RADIUS secret of NAS ${c.name} is shorter than ${MIN_SECRET_LENGTH} characters`,
      );
    }
  }
  return Object.freeze({
    name: c.name,
    prefix: parsePrefix(c.address),
    transport: c.transport,
    secret,
    requireMessageAuthenticator: c.requireMessageAuthenticator,
    limitProxyState: c.limitProxyState,
    certName: c.certName,
    segments: c.segments ? new Set(c.segments) : undefined,
    coa: Object.freeze({ mode: c.coa.mode, port: c.coa.port, address: c.coa.address }),
  });
}

export class NasTable {
  readonly clients: readonly NasClient[];
  readonly #cache = new Map<string, NasClient | null>();

  constructor(configs: readonly NasConfig[], log?: Logger) {
    const names = new Set<string>();
    const clients = configs.map((c) => {
      if (names.has(c.name)) throw new AppError('ERR_CONFIG', `radius.clients: duplicate name ${c.name}`);
      names.add(c.name);
      return nasFromConfig(c, log);
    });
    // Most specific first; ties keep configuration order.
    this.clients = clients
      .map((c, i) => ({ c, i }))
      .sort((a, b) => b.c.prefix.bits - a.c.prefix.bits || a.i - b.i)
      .map((x) => x.c);
  }

  /** The client for a source address on a transport, or null (unknown: discard silently). */
  lookup(address: string, transport: Transport = 'udp'): NasClient | null {
    const key = transport === 'udp' ? address : `${transport}|${address}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    const found = this.#find(address, transport);
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(key, found);
    return found;
  }

  byName(name: string): NasClient | undefined {
    return this.clients.find((c) => c.name === name);
  }

  #find(address: string, transport: Transport): NasClient | null {
    const bytes = addressBytes(address);
    if (!bytes) return null;
    for (const c of this.clients) if (c.transport === transport && prefixMatches(c.prefix, bytes)) return c;
    return null;
  }
}
