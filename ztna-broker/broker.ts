/**
 * createBroker: wires the broker's services from its config section and the platform objects
 * the composition root (cli) hands over. Nothing here reads process.env.
 *
 * Rules enforced:
 * - Fail closed at boot: no OIDC section, no policy, a TOTP method without an encryption key,
 *   an unreadable assertion key -> ERR_CONFIG naming the key.
 * - Client certificates are verified against the CA's own chain unless the caller passes
 *   trust anchors explicitly; the server certificate comes from the caller.
 * - Revocation, resync and kill events are subscribed before the listener accepts anything.
 * - stop() flushes the request audit, closes every live connection and the upstream pools.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CertificateAuthority } from '../ca/index.ts';
import type { AuditLog } from '../platform/audit/index.ts';
import type { BrokerConfig } from '../platform/config/index.ts';
import type { Db, Migration } from '../platform/db/index.ts';
import { AppError } from '../platform/errors.ts';
import type { EventBus } from '../platform/events.ts';
import type { Logger } from '../platform/log.ts';
import { LazyCounter, type Registry, type Tally } from '../platform/metrics.ts';
import { CertMappings } from './authn/identity.ts';
import { OidcClient } from './authn/oidc.ts';
import { SecretBox } from './authn/secret-box.ts';
import { MfaThrottle } from './authn/throttle.ts';
import { TotpService } from './authn/totp.ts';
import { WebauthnService } from './authn/webauthn.ts';
import type { BrokerContext } from './context.ts';
import { JitService } from './jit/service.ts';
import { brokerMigrations } from './migrations.ts';
import { PageHeaders } from './pages/html.ts';
import { loadPolicy, type Policy } from './policy/index.ts';
import { AssertionSigner } from './proxy/assertion.ts';
import { Upstreams } from './proxy/upstreams.ts';
import { RequestAuditor } from './request-audit.ts';
import { createBrokerServer } from './server.ts';
import { SessionService } from './sessions/service.ts';
import { PeerVerifier } from './tls/peer.ts';
import { ConnectionRegistry, wireRevocation } from './tls/registry.ts';
import { originOf } from './web/redirects.ts';
import { BrokerAdmin } from './admin.ts';

export interface CreateBrokerOptions {
  config: BrokerConfig;
  db: Db;
  audit: AuditLog;
  bus: EventBus;
  ca: CertificateAuthority;
  log: Logger;
  metrics: Registry;
  /**
   * Server certificate chain and key (PEM); `ca` = client-certificate trust anchors (default:
   * ca.caCertificates()). Default: read config.tls.certFile / keyFile.
   */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: Array<string | Buffer> };
  /** Policy YAML text or a loaded Policy; default: read config.policyFile. */
  policy?: string | Policy;
  /** PEM P-256 key for assertions; default: config.assertion.keyFile, else a per-process key. */
  assertionKeyPem?: string;
  /** Epoch milliseconds (tests). */
  now?: () => number;
}

export interface Broker {
  readonly server: Server;
  readonly origin: string;
  readonly migrations: readonly Migration[];
  readonly admin: BrokerAdmin;
  start(port?: number, host?: string): Promise<AddressInfo>;
  stop(): Promise<void>;
  /** Re-reads the policy (file, or the given YAML); invalid YAML throws and keeps the old one. */
  reloadPolicy(yaml?: string): Policy;
  /** The JWKS upstreams use to verify the assertion (also at /.well-known/gatehouse/jwks.json). */
  jwks(): { keys: unknown[] };
}

function readPolicy(cfg: BrokerConfig, given: string | Policy | undefined): Policy {
  if (given !== undefined && typeof given !== 'string') return given;
  const text = given ?? (cfg.policyFile ? readFileSync(cfg.policyFile, 'utf8') : undefined);
  if (text === undefined) throw new AppError('ERR_CONFIG', 'broker.policyFile: required');
  return loadPolicy(text, { stepUpMaxAgeSeconds: cfg.stepUpMaxAgeSeconds });
}

function readTls(cfg: BrokerConfig): { key: string; cert: string; ca?: undefined } {
  if (cfg.tls === undefined) throw new AppError('ERR_CONFIG', 'broker.tls: required (or pass tls to createBroker)');
  try {
    return { cert: readFileSync(cfg.tls.certFile, 'utf8'), key: readFileSync(cfg.tls.keyFile, 'utf8') };
  } catch (e) {
    throw new AppError('ERR_CONFIG', `broker.tls: cannot read ${(e as NodeJS.ErrnoException).path ?? 'file'}`, { cause: e });
  }
}

function derToPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
}

export async function createBroker(o: CreateBrokerOptions): Promise<Broker> {
  const cfg = o.config;
  const now = o.now ?? (() => Date.now());
  if (cfg.oidc === undefined) throw new AppError('ERR_CONFIG', 'broker.oidc: required');
  let policy = readPolicy(cfg, o.policy);
  const publicPort = cfg.publicPort ?? cfg.listen.port;
  const brokerOrigin = originOf(cfg.host, publicPort);
  const formTargets = () => [...policy.routes.values()].map((r) => originOf(r.host, publicPort));
  const totpKey = cfg.mfa.totp.encryptionKey;
  if (cfg.mfa.methods.includes('totp') && totpKey === undefined) throw new AppError('ERR_CONFIG', 'broker.mfa.totp.encryptionKey: required');
  const keyPem = o.assertionKeyPem ?? (cfg.assertion.keyFile ? readFileSync(cfg.assertion.keyFile, 'utf8') : undefined);
  if (keyPem === undefined) o.log.warn('broker.assertion.keyFile not set: using a per-process assertion key (set it when several nodes serve)');
  const registry = new ConnectionRegistry();
  const b = {
    cfg,
    brokerHost: cfg.host,
    publicPort,
    brokerOrigin,
    policy: () => policy,
    db: o.db,
    audit: o.audit,
    bus: o.bus,
    log: o.log,
    now,
    peers: new PeerVerifier(o.ca, { profiles: cfg.clientCert.profiles, cacheMs: cfg.clientCert.revocationCacheMs, now, log: o.log }),
    sessions: new SessionService({ db: o.db, audit: o.audit, bus: o.bus, log: o.log, now, limits: cfg.session, brokerHost: cfg.host }),
    oidc: new OidcClient({
      issuer: cfg.oidc.issuer,
      clientId: cfg.oidc.clientId,
      ...(cfg.oidc.clientSecret ? { clientSecret: cfg.oidc.clientSecret.reveal() } : {}),
      scopes: cfg.oidc.scopes,
      emailClaim: cfg.oidc.emailClaim,
      groupsClaim: cfg.oidc.groupsClaim,
      userinfo: cfg.oidc.userinfo,
      ...(cfg.oidc.caFile ? { caFile: cfg.oidc.caFile } : {}),
      clockToleranceSeconds: cfg.oidc.clockToleranceSeconds,
      redirectUri: `${brokerOrigin}/callback`,
    }),
    totp: cfg.mfa.methods.includes('totp') && totpKey ? new TotpService(o.db, new SecretBox(totpKey.reveal()), cfg.mfa.totp, now) : null,
    webauthn: cfg.mfa.methods.includes('webauthn') ? new WebauthnService(o.db, { rpName: cfg.mfa.webauthn.rpName, rpID: cfg.host, origin: brokerOrigin, userVerification: cfg.mfa.webauthn.userVerification }, now) : null,
    mfaThrottle: new MfaThrottle({ db: o.db, audit: o.audit, config: cfg.mfa.lockout, now }),
    mappings: new CertMappings(o.db, o.audit, now),
    jit: new JitService(o.db, o.audit, { ...cfg.jit, cacheMs: cfg.session.cacheMs }, (id) => policy.routes.has(id), now),
    assertions: await AssertionSigner.create({ ...(keyPem ? { keyPem } : {}), issuer: brokerOrigin, ttlSeconds: cfg.assertion.ttlSeconds, now }),
    upstreams: new Upstreams(cfg.upstream, o.log),
    auditor: new RequestAuditor(o.audit, o.log, { mode: cfg.audit.requests, intervalSeconds: cfg.audit.summaryIntervalSeconds, now }),
    pages: new PageHeaders(formTargets()),
    registry,
    requests: decisionCounter(o.metrics),
  } satisfies BrokerContext;
  const ctx: BrokerContext = b;
  const tls = o.tls ?? readTls(cfg);
  const server = createBrokerServer(ctx, { key: tls.key, cert: tls.cert, ca: tls.ca ?? o.ca.caCertificates().map(derToPem) });
  const unwire = wireRevocation({
    bus: o.bus,
    server,
    registry,
    log: o.log,
    onInvalidate: () => {
      ctx.peers.invalidateAll();
      ctx.sessions.clearCache();
    },
    onSessionKilled: (id) => {
      ctx.sessions.invalidate(id);
      ctx.assertions.forgetSession(id);
    },
  });
  const purge = setInterval(() => void ctx.sessions.purgeExpired().catch((e) => o.log.warn({ err: e }, 'session purge failed')), 60_000);
  purge.unref();

  return {
    server,
    origin: brokerOrigin,
    migrations: brokerMigrations,
    admin: new BrokerAdmin(ctx),
    async start(port = cfg.listen.port, host = cfg.listen.host) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    },
    async stop() {
      unwire();
      clearInterval(purge);
      await ctx.auditor.stop();
      registry.destroyAll();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await ctx.upstreams.close();
    },
    reloadPolicy(yaml) {
      const next = readPolicy(cfg, yaml);
      policy = next;
      ctx.upstreams.retain(next);
      ctx.pages = new PageHeaders(formTargets());
      return next;
    },
    jwks: () => ctx.assertions.jwks(),
  };
}

/** gatehouse_broker_requests_total{route,outcome}: a plain number per request, labels at scrape. */
function decisionCounter(reg: Registry): BrokerContext['requests'] {
  const lazy = new LazyCounter(reg, 'gatehouse_broker_requests_total', 'Broker decisions by route and outcome', ['route', 'outcome']);
  const cells = new Map<string, Tally>();
  return {
    inc(route, outcome) {
      const k = `${route}\u0000${outcome}`;
      let c = cells.get(k);
      if (c === undefined) cells.set(k, (c = lazy.cell(route, outcome)));
      c.inc();
    },
  };
}
