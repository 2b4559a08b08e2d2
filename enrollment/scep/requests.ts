/**
 * PKCSReq, RenewalReq and CertPoll (RFC 8894 §3.3.1, §3.3.3): from a verified PkiMessage to
 * an answer, through onboarding (who may have a certificate) and transactions.ts (idempotence).
 *
 * Rules enforced:
 * - The CSR is parsed (proof of possession, RFC 2986 §4.2) before anything is looked up.
 * - PKCSReq must be signed by a self-signed certificate (RFC 8894 §2.3); its CSR
 *   challengePassword (RFC 2985 §5.4.1) is the device's one-time token; no challenge -> the
 *   approval flow (PENDING until an admin decides, §3.3.2 / §3.3.3).
 * - RenewalReq (§3.3.1.2) must be signed by the device's current, good certificate from this
 *   CA: onboarding's 'current' credential; any challenge in the CSR is ignored.
 * - Names come from the inventory grant, never from the CSR (ARCHITECTURE habit 3).
 * - Same transactionID + same CSR -> the stored answer (same certificate); different CSR ->
 *   FAILURE badRequest; CertPoll for an unknown transaction -> FAILURE badCertId.
 * - The outcome is recorded on the transaction before the answer leaves; a recording failure
 *   is logged and never turns an issued certificate into a FAILURE.
 */
import { X509Certificate } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/log.ts';
import type { CertificateAuthority } from '../../ca/index.ts';
import type { EnrollInput, Onboarding } from '../onboarding/index.ts';
import { FAIL_INFO, MESSAGE_TYPE, type FailInfo } from './attributes.ts';
import { certInfo, verifiesOwnSignature } from './cert-info.ts';
import { scepVerdictOf } from './errors.ts';
import type { PkiMessage } from './message.ts';
import type { ScepTxRow } from './store.ts';
import type { ScepTransactions, TxHandle } from './transactions.ts';

/** What a message handler decides; handlers.ts turns it into a signed CertRep. */
export type Answer =
  | { status: 'SUCCESS'; issuedCertDer: Buffer; caChainDer: Buffer[] }
  | { status: 'SUCCESS'; crlDer: Buffer }
  | { status: 'PENDING' }
  | { status: 'FAILURE'; failInfo: FailInfo; failInfoText?: string };

export interface RequestDeps {
  onboarding: Pick<Onboarding, 'enroll'>;
  ca: CertificateAuthority;
  transactions: ScepTransactions;
  log: Logger;
}

export interface RequestContext {
  label: string | undefined;
  peer: string;
}

const PENDING: Answer = { status: 'PENDING' };

/** RFC 8894 §2.3: a requester without a certificate signs with a self-signed one. */
function assertSelfSigned(der: Buffer): void {
  const info = certInfo(der);
  if (!info.subjectDer.equals(info.issuerDer) || !verifiesOwnSignature(info)) {
    throw new AppError('ERR_FORBIDDEN', 'PKCSReq must be signed with a self-signed certificate');
  }
}

/** Issuing CA certificates up to, not including, the root (as IssuedCert.chain). */
export function chainOf(ca: CertificateAuthority, issuerId: string): Buffer[] {
  const issuer = ca.issuer(issuerId);
  if (!issuer) return [];
  const out = [issuer.record.certDer];
  for (const c of issuer.record.chainDer) {
    const x = new X509Certificate(c);
    if (x.checkIssued(x)) break;
    out.push(c);
  }
  return out;
}

async function stored(ca: CertificateAuthority, row: ScepTxRow): Promise<Answer> {
  const rec = row.issuer_id && row.serial ? await ca.getCert(row.issuer_id, row.serial) : null;
  if (!rec?.der) throw new AppError('ERR_CERT_UNKNOWN', 'the stored certificate is gone');
  return { status: 'SUCCESS', issuedCertDer: rec.der, caChainDer: chainOf(ca, rec.issuerId) };
}

/** Runs onboarding for the transaction this worker owns and records the outcome on it. */
async function run(d: RequestDeps, h: TxHandle, input: EnrollInput): Promise<Answer> {
  const record = async (o: Parameters<ScepTransactions['finish']>[1]): Promise<void> => {
    try {
      if (!(await d.transactions.finish(h, o))) d.log.warn({ transactionId: h.transactionId }, 'SCEP transaction changed underneath');
    } catch (e) {
      d.log.error({ err: e, transactionId: h.transactionId }, 'SCEP transaction outcome not recorded');
    }
  };
  // success is recorded with the certificate, in the transaction that stores it (one commit less)
  let recorded = false;
  const onStored: EnrollInput['onStored'] = async (trx, issuerId, serial) => {
    recorded = await d.transactions.finishIn(trx, h, { status: 'success', issuerId, serial });
  };
  let out;
  try {
    out = await d.onboarding.enroll({ ...input, onStored });
  } catch (e) {
    const v = scepVerdictOf(e);
    await record(v.status === 'PENDING' ? { status: 'failure', failInfo: 'badRequest' } : { status: 'failure', failInfo: v.failInfo });
    throw e;
  }
  if (out.kind === 'pending') {
    await record({ status: 'pending', requestId: out.requestId });
    return PENDING;
  }
  if (!recorded) await record({ status: 'success', issuerId: out.cert.issuerId, serial: out.cert.serial });
  return { status: 'SUCCESS', issuedCertDer: out.cert.der, caChainDer: out.cert.chain };
}

/** PKCSReq (19) and RenewalReq (17). */
export async function certRequest(d: RequestDeps, msg: PkiMessage, ctx: RequestContext): Promise<Answer> {
  const csrDer = msg.csrDer;
  if (!csrDer) throw new AppError('ERR_BAD_INPUT', 'no CSR in the request');
  const csr = await d.ca.verifyCsr(csrDer);
  const renewal = msg.messageType === MESSAGE_TYPE.RenewalReq;
  if (!renewal) assertSelfSigned(msg.signerCertDer);
  const start = await d.transactions.begin({
    transactionId: msg.transactionId,
    messageType: renewal ? MESSAGE_TYPE.RenewalReq : MESSAGE_TYPE.PKCSReq,
    signerCertDer: msg.signerCertDer,
    signerSpkiDer: msg.signerSpkiDer,
    csrDer,
    label: ctx.label,
  });
  const base = { protocol: 'scep' as const, peer: ctx.peer };
  switch (start.kind) {
    case 'conflict':
      throw new AppError('ERR_CONFLICT', 'transactionID already used with another CSR');
    case 'busy':
      return PENDING;
    case 'replay':
      return stored(d.ca, start.row);
    case 'resume':
      return run(d, start.handle, { ...base, csrDer, csr, credential: { kind: 'none' }, label: start.row.label ?? undefined });
    case 'new': {
      const credential: EnrollInput['credential'] = renewal
        ? { kind: 'current', certDer: msg.signerCertDer }
        : csr.challengePassword
          ? { kind: 'token', token: csr.challengePassword }
          : { kind: 'none' };
      return run(d, start.handle, { ...base, csrDer, csr, credential, label: ctx.label, renewal });
    }
  }
}

/** CertPoll (20): finds the transaction by transactionID and requesting key. */
export async function certPoll(d: RequestDeps, msg: PkiMessage, ctx: RequestContext): Promise<Answer> {
  const row = await d.transactions.forPoll(msg.transactionId, msg.signerSpkiDer);
  if (!row) throw new AppError('ERR_SCEP_UNKNOWN_TRANSACTION', 'no such transaction');
  if (row.status === 'success') return stored(d.ca, row);
  if (row.status === 'failure') {
    const failInfo = row.fail_info && row.fail_info in FAIL_INFO ? (row.fail_info as FailInfo) : 'badRequest';
    return { status: 'FAILURE', failInfo, failInfoText: 'request refused' };
  }
  if (!row.request_id) {
    // being processed by another worker; an expired lease means it died: the client must resend
    if (d.transactions.leased(row)) return PENDING;
    return { status: 'FAILURE', failInfo: 'badRequest', failInfoText: 'request interrupted, send it again' };
  }
  const h = await d.transactions.claim(row);
  if (!h) return PENDING;
  const label = row.label ?? undefined;
  return run(d, h, { csrDer: row.csr_der, credential: { kind: 'none' }, protocol: 'scep', peer: ctx.peer, label });
}
