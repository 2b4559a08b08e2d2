/**
 * Onboarding: credential -> authorization -> grant -> ca.issue. Protocol adapters (EST, SCEP,
 * CLI) call enroll() and map its typed errors to their wire form; they never build grants.
 *
 * Credentials (issue #3):
 *   token   one-time token (EST Basic password / SCEP challengePassword); device approved|enrolled
 *   idevid  manufacturer certificate chain; device found by IDevID serial; registered devices
 *           are auto-approved when enrollment.idevid.autoApprove (pre-registered at procurement)
 *   current the device's current certificate from our CA (renewal): good status, device not
 *           quarantined/retired, CSR subject (if any) unchanged (RFC 7030 §4.2.2)
 *   none    nothing: a pending request an admin approves (EST 202 / SCEP PENDING), or denied
 * The device becomes `enrolled` in the same transaction that reserves the serial.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { withTx, type Db, type Tx } from '../../platform/db/index.ts';
import type { AuditLog } from '../../platform/audit/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { EnrollmentConfig } from '../../platform/config/index.ts';
import { parseCertificate, type CertificateAuthority, type Grant, type IssuedCert, type ParsedCsr } from '../../ca/index.ts';
import { formatName } from '../../ca/asn1/index.ts';
import type { InventoryService } from '../inventory/service.ts';
import type { Device } from '../inventory/model.ts';
import { deviceGrant } from './grant.ts';
import { verifyIdevid } from './idevid.ts';
import { Tokens } from './tokens.ts';
import { onboardingStore as store, type RequestRow, type TokenRow } from './store.ts';

export type Credential =
  | { kind: 'token'; token: string; claimedDeviceId?: string }
  | { kind: 'idevid'; chain: Buffer[] }
  | { kind: 'current'; certDer: Buffer }
  | { kind: 'none' };

export interface EnrollInput {
  csrDer: Buffer;
  credential: Credential;
  protocol: 'est' | 'scep' | 'cli';
  label?: string | undefined;
  /** Peer address, for the audit log. */
  peer: string;
  /** EST simplereenroll / SCEP RenewalReq: the credential must be the current certificate. */
  renewal?: boolean;
  /** csrDer already verified by ca.verifyCsr() (SCEP reads its challengePassword first). */
  csr?: ParsedCsr;
  /** Runs in the transaction that stores the certificate (Grant.onStore), e.g. SCEP's outcome. */
  onStored?: Grant['onStore'];
}

export type EnrollOutcome =
  | { kind: 'issued'; cert: IssuedCert; deviceId: string }
  | { kind: 'pending'; requestId: string; retryAfter: number };

export interface OnboardingDeps {
  db: Db;
  audit: AuditLog;
  bus: EventBus;
  ca: CertificateAuthority;
  inventory: InventoryService;
  config: EnrollmentConfig;
  idevidAnchors: X509Certificate[];
  now?: () => number;
}

const ENROLLABLE = new Set(['approved', 'enrolled']);
/** Profiles a device may never obtain through enrollment (they authorize the CA's own roles). */
export const INTERNAL_PROFILES: ReadonlySet<string> = new Set(['ocsp-responder', 'scep-ra', 'admin-client']);
/** A reserved-but-unstored serial older than this is an orphan of a failed store step. */
const ORPHAN_AFTER_MS = 10_000;

export class Onboarding {
  readonly tokens: Tokens;
  private readonly now: () => number;
  constructor(private readonly d: OnboardingDeps) {
    this.now = d.now ?? Date.now;
    this.tokens = new Tokens({ db: d.db, audit: d.audit, ttlHours: d.config.tokenTtlHours, now: this.now });
  }

  profileFor(label?: string): { profile: string; serverAuth: boolean } {
    const l = label ? this.d.config.labels[label] : { profile: this.d.config.defaultProfile, serverAuth: false };
    if (!l) throw new AppError('ERR_NOT_FOUND', `unknown enrollment label ${label}`);
    if (INTERNAL_PROFILES.has(l.profile)) throw new AppError('ERR_CONFIG', `profile ${l.profile} cannot be issued through enrollment`);
    return { profile: l.profile, serverAuth: l.serverAuth };
  }

  async enroll(input: EnrollInput): Promise<EnrollOutcome> {
    // PoP first: nothing is looked up for a CSR that does not verify (on a CA worker thread)
    const csr = input.csr ?? (await this.d.ca.verifyCsr(input.csrDer));
    const { profile, serverAuth } = this.profileFor(input.label);
    const c = input.credential;
    if (input.renewal && c.kind !== 'current') throw new AppError('ERR_UNAUTHENTICATED', 'renewal needs the current certificate as client certificate');
    const actor = `${input.protocol}:${c.kind}@${input.peer}`;
    switch (c.kind) {
      case 'token': {
        const peeked = await this.tokens.peek(c.token);
        const orphan = await this.orphanOfToken(peeked);
        const row = orphan ? orphan.row : await this.tokens.check(c.token, input.peer, peeked);
        if (c.claimedDeviceId && c.claimedDeviceId !== row.device_id) throw new AppError('ERR_ENROLL_TOKEN_INVALID', 'enrollment token belongs to another device');
        const device = await this.enrollableDevice(row.device_id);
        if (orphan) await this.supersedeOrphan(orphan.issuerId, orphan.serial, device.id);
        const consume = this.tokens.consumer(c.token, orphan?.serial);
        return this.issueFor(device, input, { profile, serverAuth, actor: `${actor}:${device.id}` }, consume);
      }
      case 'idevid': {
        const serial = verifyIdevid(c.chain, this.d.idevidAnchors, new Date(this.now()));
        const device = await this.d.inventory.byIdevidSerial(serial);
        if (!device) throw new AppError('ERR_DEVICE_UNKNOWN', 'IDevID is not in the inventory');
        if (device.state === 'registered' && this.d.config.idevid.autoApprove) await this.d.inventory.approve(device.id, `idevid:${serial}`);
        else if (!ENROLLABLE.has(device.state)) throw new AppError('ERR_DEVICE_STATE', `device ${device.id} is ${device.state}`);
        return this.issueFor((await this.d.inventory.get(device.id))!, input, { profile, serverAuth, actor: `${actor}:${device.id}` });
      }
      case 'current': {
        const device = await this.currentCertDevice(c.certDer, csr.subjectDer, csr.subject);
        return this.issueFor(device, input, { profile, serverAuth, actor: `${actor}:${device.id}` });
      }
      case 'none':
        return this.approvalFlow(input, csr.subject, { profile, serverAuth, actor });
    }
  }

  /**
   * A token whose certificate was reserved but never stored (the store step failed, e.g. disk
   * full) may be used again once: the orphan serial is revoked (superseded) and reissued.
   */
  private async orphanOfToken(row: TokenRow | null): Promise<{ row: TokenRow; issuerId: string; serial: string } | null> {
    if (!row || row.used_at === null || !row.used_serial || row.revoked_at !== null) return null;
    if (this.now() - Number(row.used_at) < ORPHAN_AFTER_MS || Number(row.expires_at) <= this.now()) return null;
    for (const i of this.d.ca.issuers()) {
      const rec = await this.d.ca.getCert(i.record.id, row.used_serial);
      if (rec && rec.state === 'reserved' && rec.der === null && rec.deviceId === row.device_id) return { row, issuerId: i.record.id, serial: rec.serial };
    }
    return null;
  }

  private async supersedeOrphan(issuerId: string, serial: string, deviceId: string): Promise<void> {
    await this.d.ca.revoke(serial, 'superseded', { actor: `enroll:retry:${deviceId}`, issuerId }).catch((e) => {
      if (!(e instanceof AppError && e.code === 'ERR_ALREADY_REVOKED')) throw e;
    });
  }

  private async enrollableDevice(id: string): Promise<Device> {
    const device = await this.d.inventory.get(id);
    if (!device) throw new AppError('ERR_DEVICE_UNKNOWN', `no device ${id}`);
    if (!ENROLLABLE.has(device.state)) throw new AppError('ERR_DEVICE_STATE', `device ${id} is ${device.state}`);
    return device;
  }

  /** Renewal: the presented certificate must be ours, good, unexpired, and its device enrollable. */
  private async currentCertDevice(certDer: Buffer, csrSubjectDer: Buffer, csrSubject: string): Promise<Device> {
    let x: X509Certificate;
    try {
      x = new X509Certificate(certDer);
    } catch (e) {
      throw new AppError('ERR_CERT_FOREIGN', 'unparseable client certificate', { cause: e });
    }
    const now = new Date(this.now());
    if (new Date(x.validTo) < now || new Date(x.validFrom) > now) throw new AppError('ERR_CERT_EXPIRED', 'client certificate is expired');
    const st = await this.d.ca.statusOfCert(certDer);
    if (st.state === 'unknown') throw new AppError('ERR_CERT_FOREIGN', 'client certificate was not issued by this CA');
    if (st.state === 'revoked') throw new AppError('ERR_CERT_REVOKED', 'client certificate is revoked');
    const deviceId = st.record.deviceId;
    if (!deviceId) throw new AppError('ERR_FORBIDDEN', 'client certificate does not belong to a device');
    const certSubject = parseCertificate(certDer).tbs.subjectDer;
    const csrEmpty = csrSubjectDer.length <= 2;
    // RFC 5280 §7.1 name comparison in practice: same attributes and values, whatever the string
    // type (clients re-encode UTF8String as PrintableString) and letter case
    const same = (a: Buffer, b: Buffer) => a.equals(b) || formatName(a).toLowerCase() === formatName(b).toLowerCase();
    if (!csrEmpty && !same(csrSubjectDer, certSubject))
      throw new AppError('ERR_REENROLL_SUBJECT_CHANGED', `re-enrollment must keep the subject (${formatName(certSubject)}), CSR asked for ${csrSubject}`);
    return this.enrollableDevice(deviceId);
  }

  private async issueFor(
    device: Device,
    input: EnrollInput,
    g: { profile: string; serverAuth: boolean; actor: string },
    consume?: (trx: Tx, serial: string) => Promise<void>,
    requestId?: string,
    orphanSerial?: string,
  ): Promise<EnrollOutcome> {
    const grant: Grant = deviceGrant(device, this.d.config, g);
    if (input.onStored) grant.onStore = input.onStored;
    grant.onReserve = async (trx, serial) => {
      if (consume) await consume(trx, serial);
      // one approval, one certificate: a concurrent poll of the same request is told to poll again
      if (requestId && !(await store.markRequestIssued(trx, requestId, grant.issuerId ?? this.d.ca.activeIssuer().record.id, serial, orphanSerial)))
        throw new AppError('ERR_ENROLL_PENDING', 'the request is being issued; poll again', { retryAfter: 1 });
      await this.d.inventory.transition(device.id, 'enrolled', g.actor, { serial, protocol: input.protocol, renewal: Boolean(input.renewal) }, trx);
    };
    const cert = await this.d.ca.issue(input.csrDer, grant);
    this.d.bus.emitLocal('device.changed', { deviceId: device.id, state: 'enrolled', segment: device.segment });
    return { kind: 'issued', cert, deviceId: device.id };
  }

  /** No credential: one pending request per CSR; the device polls with the same CSR. */
  private async approvalFlow(input: EnrollInput, claimed: string, g: { profile: string; serverAuth: boolean; actor: string }): Promise<EnrollOutcome> {
    const retryAfter = this.d.config.approval.retryAfterSeconds;
    if (this.d.config.approval.mode === 'deny') throw new AppError('ERR_ENROLL_DENIED', 'enrollment without a credential is not allowed');
    const fp = createHash('sha256').update(input.csrDer).digest('hex');
    const existing = await store.findRequestByCsr(this.d.db, fp);
    if (existing) return this.resumeRequest(existing, input, g);
    const id = createHash('sha256').update(fp + this.now()).digest('hex').slice(0, 24);
    await withTx(this.d.db, async (trx) => {
      await store.insertRequest(trx, { id, device_id: null, protocol: input.protocol, label: input.label ?? null, claimed_identity: claimed.slice(0, 256), csr_der: input.csrDer, csr_fingerprint: fp, status: 'pending', created_at: this.now() });
      await this.d.audit.append(trx, { actor: g.actor, action: 'enroll.request.pending', target: `request:${id}`, data: { claimed, protocol: input.protocol } });
    });
    return { kind: 'pending', requestId: id, retryAfter };
  }

  private async resumeRequest(r: RequestRow, input: EnrollInput, g: { profile: string; serverAuth: boolean; actor: string }): Promise<EnrollOutcome> {
    if (r.status === 'pending') return { kind: 'pending', requestId: r.id, retryAfter: this.d.config.approval.retryAfterSeconds };
    if (r.status === 'rejected') throw new AppError('ERR_ENROLL_DENIED', 'enrollment request was rejected');
    if (r.status === 'issued') {
      const rec = r.issuer_id && r.issued_serial ? await this.d.ca.getCert(r.issuer_id, r.issued_serial) : null;
      if (rec && rec.state === 'reserved' && rec.der === null && r.device_id && this.now() - rec.reservedAt.getTime() >= ORPHAN_AFTER_MS) {
        // the store step of the first attempt failed: supersede the orphan serial and issue again
        const device = await this.enrollableDevice(r.device_id);
        await this.supersedeOrphan(rec.issuerId, rec.serial, device.id);
        return this.issueFor(device, input, { ...g, actor: `${g.actor}:${device.id}` }, undefined, r.id, rec.serial);
      }
      if (!rec?.der) throw new AppError('ERR_ENROLL_DENIED', 'enrollment request already used');
      const issuer = this.d.ca.issuer(rec.issuerId);
      return {
        kind: 'issued',
        deviceId: rec.deviceId ?? '',
        cert: { issuerId: rec.issuerId, serial: rec.serial, der: rec.der, notBefore: rec.notBefore!, notAfter: rec.notAfter!, profile: rec.profile, chain: issuer ? [issuer.record.certDer, ...issuer.record.chainDer] : [] },
      };
    }
    const device = await this.enrollableDevice(r.device_id!);
    return this.issueFor(device, input, { ...g, actor: `${g.actor}:${device.id}` }, undefined, r.id);
  }

  async decideRequest(id: string, decision: 'approved' | 'rejected', deviceId: string | null, actor: string): Promise<void> {
    await withTx(this.d.db, async (trx) => {
      const r = await store.getRequest(trx, id, true);
      if (!r) throw new AppError('ERR_NOT_FOUND', `no enrollment request ${id}`);
      if (r.status !== 'pending') throw new AppError('ERR_CONFLICT', `request ${id} is ${r.status}`);
      if (decision === 'approved') {
        if (!deviceId) throw new AppError('ERR_BAD_INPUT', 'approving a request needs the inventory device it is');
        const dev = await this.d.inventory.mustGet(trx, deviceId);
        if (dev.state === 'registered') await this.d.inventory.transition(deviceId, 'approved', actor, { request: id }, trx);
        else if (!ENROLLABLE.has(dev.state)) throw new AppError('ERR_DEVICE_STATE', `device ${deviceId} is ${dev.state}`);
      }
      await store.decideRequest(trx, id, decision, deviceId, actor, this.now());
      await this.d.audit.append(trx, { actor, action: `enroll.request.${decision === 'approved' ? 'approve' : 'reject'}`, target: `request:${id}`, data: { deviceId } });
    });
  }

  listRequests(status?: string) {
    return store.listRequests(this.d.db, status);
  }

  /** Creates a one-time token for an approved or enrolled device. */
  async createToken(deviceId: string, actor: string, ttlHours?: number) {
    return this.tokens.createFor(
      deviceId,
      actor,
      async (trx) => {
        const dev = await this.d.inventory.mustGet(trx, deviceId, true);
        if (!ENROLLABLE.has(dev.state)) throw new AppError('ERR_DEVICE_STATE', `device ${deviceId} is ${dev.state}: approve it first`);
      },
      ttlHours,
    );
  }

  /**
   * Decommission (`gatehouse device retire`): the device leaves network policy at once (state
   * retired -> RADIUS rejects, broker and CoA react to the event), its unused tokens die in the
   * same transaction, then every certificate is revoked (cessationOfOperation) and the evidence
   * (serials, token count) is recorded.
   */
  async retire(deviceId: string, actor: string): Promise<{ revoked: string[]; tokensRevoked: number }> {
    let tokensRevoked = 0;
    const before = await withTx(this.d.db, async (trx) => {
      const dev = await this.d.inventory.mustGet(trx, deviceId, true);
      tokensRevoked = await this.tokens.revokeAll(trx, deviceId);
      // retrying a retirement that stopped part-way finishes the revocations below
      if (dev.state !== 'retired') await this.d.inventory.transition(deviceId, 'retired', actor, { tokensRevoked }, trx);
      return dev;
    });
    this.d.bus.emitLocal('device.changed', { deviceId, state: 'retired', segment: before.segment });
    const revoked: string[] = [];
    for (const state of ['issued', 'reserved', 'revoked'] as const) {
      for (const rec of await this.d.ca.listCerts({ deviceId, state, limit: 10_000 })) {
        // a certificate on hold could later be released: escalate it to a final reason
        if (state === 'revoked' && rec.revocationReason !== 'certificateHold') continue;
        try {
          await this.d.ca.revoke(rec.serial, 'cessationOfOperation', { actor, issuerId: rec.issuerId });
          revoked.push(`${rec.issuerId}:${rec.serial}`);
        } catch (e) {
          if (!(e instanceof AppError && e.code === 'ERR_ALREADY_REVOKED')) throw e;
        }
      }
    }
    await this.d.audit.record({ actor, action: 'device.retire.evidence', target: `device:${deviceId}`, data: { revoked, tokensRevoked } });
    return { revoked, tokensRevoked };
  }

}
