/**
 * SCEP operations as pure functions of bytes (no HTTP): GetCACaps, GetCACert and PKIOperation
 * (RFC 8894 §3.5.2, §4.2, §4.3). router.ts only moves bytes and content types.
 *
 * Rules enforced:
 * - GetCACaps lists what we support (capabilities.ts); GetCACert is the degenerate PKCS#7 of
 *   the RA certificate followed by the CA chain (§4.2.1.2, application/x-x509-ca-ra-cert).
 * - PKIOperation: parsePkiMessage (size cap, signature, RA decryption; single DES only with
 *   enrollment.scep.allowDesCbc), then dispatch on messageType: PKCSReq/RenewalReq/CertPoll
 *   (requests.ts), GetCert/GetCRL (lookups.ts).
 * - Every outcome with a readable transactionID and senderNonce is a CertRep signed by the RA
 *   (§3.3.2): SUCCESS, PENDING or FAILURE + failInfo chosen once in errors.ts. Only a message
 *   too broken to name a transaction gets `400` (nothing to answer to). Never a 500.
 * - A request enveloped to the previous RA certificate (rollover, same key) is opened with it
 *   and answered under it; the retry happens only for ERR_SCEP_BAD_RECIPIENT, decided from
 *   public data before any private-key operation, so it adds no oracle.
 * - The CertRep mirrors the request's digest and content encryption; a single-DES request is
 *   answered with DES-EDE3 (we never send single DES).
 */
import type { Logger } from '../../platform/log.ts';
import { counter, histogram, type Registry } from '../../platform/metrics.ts';
import { isAppError } from '../../platform/errors.ts';
import type { CertificateAuthority } from '../../ca/index.ts';
import { MESSAGE_TYPE } from './attributes.ts';
import { SCEP_CONTENT_TYPES, getCaCapsText } from './capabilities.ts';
import { buildCertRep, certRepFailureFor, type CertRepInput } from './certrep.ts';
import { buildDegenerate } from './degenerate.ts';
import { errorCodeOf, scepVerdictOf } from './errors.ts';
import { getCert, getCrl, type ScepCrlSource } from './lookups.ts';
import { parsePkiMessage, type PkiMessage, type ScepRa } from './message.ts';
import type { ScepRaSource } from './ra.ts';
import { certPoll, certRequest, type Answer, type RequestContext, type RequestDeps } from './requests.ts';
import type { ScepTransactions } from './transactions.ts';

export interface ScepHandlerDeps {
  onboarding: RequestDeps['onboarding'];
  ca: CertificateAuthority;
  ra: ScepRaSource;
  transactions: ScepTransactions;
  config: { allowDesCbc: boolean; maxBodyBytes?: number };
  log: Logger;
  metrics?: Registry | undefined;
  crlSource?: ScepCrlSource | undefined;
}

export interface ScepReply {
  status: number;
  contentType: string;
  body: Buffer;
}

export interface ScepHandlers {
  getCaCaps(): ScepReply;
  getCaCert(): ScepReply;
  pkiOperation(der: Buffer, ctx: RequestContext): Promise<ScepReply>;
}

const NAMES: Record<number, string> = { 17: 'RenewalReq', 19: 'PKCSReq', 20: 'CertPoll', 21: 'GetCert', 22: 'GetCRL' };

export function createScepHandlers(d: ScepHandlerDeps): ScepHandlers {
  const reg = d.metrics;
  const messages = reg && counter(reg, 'gatehouse_scep_messages_total', 'SCEP PKIOperations by message type and pkiStatus', ['message_type', 'status']);
  const seconds = reg && histogram(reg, 'gatehouse_scep_pkioperation_seconds', 'SCEP PKIOperation time, parse to signed CertRep', ['message_type']);
  const reply = (body: Buffer, contentType: string = SCEP_CONTENT_TYPES.pkiMessage): ScepReply => ({ status: 200, contentType, body });
  const opts = { allowDesCbc: d.config.allowDesCbc, ...(d.config.maxBodyBytes ? { maxBytes: d.config.maxBodyBytes } : {}) };

  async function parse(der: Buffer): Promise<{ msg: PkiMessage; ra: ScepRa }> {
    const ra = d.ra.current();
    try {
      return { msg: await parsePkiMessage(der, ra, opts), ra };
    } catch (e) {
      const prev = d.ra.previous();
      if (!prev || !isAppError(e, 'ERR_SCEP_BAD_RECIPIENT')) throw e;
      return { msg: await parsePkiMessage(der, prev, opts), ra: prev };
    }
  }

  async function dispatch(msg: PkiMessage, ctx: RequestContext): Promise<Answer> {
    switch (msg.messageType) {
      case MESSAGE_TYPE.PKCSReq:
      case MESSAGE_TYPE.RenewalReq:
        return certRequest(d, msg, ctx);
      case MESSAGE_TYPE.CertPoll:
        return certPoll(d, msg, ctx);
      case MESSAGE_TYPE.GetCert:
        return getCert(d, msg);
      case MESSAGE_TYPE.GetCRL:
        return getCrl(d, msg);
    }
  }

  async function certRep(msg: PkiMessage, ra: ScepRa, a: Answer): Promise<Buffer> {
    const common = { transactionId: msg.transactionId, recipientNonce: msg.senderNonce, ra, digest: msg.digest };
    const enc = msg.contentEncryption === 'des-cbc' ? 'des-ede3-cbc' : msg.contentEncryption;
    const input: CertRepInput =
      a.status === 'SUCCESS'
        ? { ...common, ...a, status: 'SUCCESS', recipientCertDer: msg.signerCertDer, contentEncryption: enc }
        : { ...common, ...a };
    try {
      return await buildCertRep(input);
    } catch (e) {
      // e.g. a requester certificate we cannot encrypt to: still a signed answer
      d.log.warn({ err: e, transactionId: msg.transactionId }, 'SCEP CertRep could not be built; answering FAILURE');
      return buildCertRep({ ...common, status: 'FAILURE', failInfo: 'badRequest' });
    }
  }

  return {
    getCaCaps: () => reply(Buffer.from(getCaCapsText()), SCEP_CONTENT_TYPES.caps),

    getCaCert: () => reply(buildDegenerate([d.ra.current().certDer, ...d.ca.caCertificates()]), SCEP_CONTENT_TYPES.caRaCert),

    async pkiOperation(der, ctx) {
      const t0 = performance.now();
      let parsed: { msg: PkiMessage; ra: ScepRa };
      try {
        parsed = await parse(der);
      } catch (e) {
        const failure = certRepFailureFor(e, d.ra.current());
        d.log.info({ peer: ctx.peer, code: errorCodeOf(e), answered: Boolean(failure) }, 'SCEP message refused');
        messages?.inc({ message_type: 'unknown', status: failure ? 'FAILURE' : 'undecodable' });
        if (!failure) return { status: 400, contentType: 'text/plain', body: Buffer.from('malformed SCEP message\n') };
        return reply(await buildCertRep(failure));
      }
      const { msg, ra } = parsed;
      const type = NAMES[msg.messageType] ?? String(msg.messageType);
      let answer: Answer;
      try {
        answer = await dispatch(msg, ctx);
      } catch (e) {
        const v = scepVerdictOf(e);
        answer = v.status === 'PENDING' ? { status: 'PENDING' } : v;
        const log = isAppError(e) && e.code !== 'ERR_INTERNAL' ? d.log.info.bind(d.log) : d.log.error.bind(d.log);
        log({ err: isAppError(e) ? undefined : e, code: errorCodeOf(e), reason: isAppError(e) ? e.message : undefined, type, transactionId: msg.transactionId, peer: ctx.peer, label: ctx.label }, 'SCEP request refused');
      }
      const body = await certRep(msg, ra, answer);
      messages?.inc({ message_type: type, status: answer.status });
      seconds?.observe({ message_type: type }, (performance.now() - t0) / 1000);
      if (answer.status === 'SUCCESS') d.log.info({ type, transactionId: msg.transactionId, peer: ctx.peer, label: ctx.label }, 'SCEP request answered');
      return reply(body);
    },
  };
}
