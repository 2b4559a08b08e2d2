/**
 * EST operations as pure functions: EstRequest -> EstResponse (no HTTP objects, no sockets).
 *
 * Rules enforced:
 * - RFC 7030 §3.2.2: the optional label must be a configured one (404 otherwise) and selects
 *   the certificate profile (Onboarding.profileFor).
 * - §4.1 /cacerts: no authentication; the active issuer and its chain up to the root (then any
 *   other loaded issuer during a rollover) as a base64 certs-only PKCS#7.
 * - §4.2.1 /simpleenroll: a base64 PKCS#10 with `application/pkcs10`; the response is ONLY the
 *   new certificate (§4.2.3; the chain comes from /cacerts). Credentials per auth.ts.
 * - §4.2.2 /simplereenroll: the current, valid, unrevoked certificate as TLS client certificate;
 *   subject unchanged (Onboarding: ERR_REENROLL_SUBJECT_CHANGED -> 400).
 * - §4.2.3: pending manual approval -> 202 + Retry-After; the client polls with the same CSR.
 * - No credential at all is 401 unless unknown devices may wait for an admin (approval
 *   'manual'), in which case it is a pending request (never for serverkeygen: its key is new on
 *   every poll, so a pending request could not be collected).
 * - §4.4 /serverkeygen: see serverkeygen.ts; §4.5 /csrattrs: see csrattrs.ts (204 if nothing).
 * - Certs-only PKCS#7 bodies are built by the SCEP layer's degenerate.ts (RFC 5652 §5, one
 *   implementation for both protocols). Failures go through errors.ts only.
 */
import { AppError, isAppError } from '../../platform/errors.ts';
import type { EnrollmentConfig } from '../../platform/config/index.ts';
import type { CertificateAuthority } from '../../ca/index.ts';
import type { Onboarding } from '../onboarding/index.ts';
import { buildDegenerate } from '../scep/index.ts';
import { credentialFor, OurIssuers } from './auth.ts';
import { csrAttrsDer, keygenAlgorithm } from './csrattrs.ts';
import { csrFields, wantsEncryptedKey } from './csr-fields.ts';
import { estErrorResponse, pendingResponse } from './errors.ts';
import { generateKeyAndCsr, keyAndCertResponse } from './serverkeygen.ts';
import { base64Response, decodeBase64, MEDIA, requireMediaType, type EstRequest, type EstResponse } from './wire.ts';

/** The EST part of the enrollment section, plus the labels (and the approval mode, if any). */
export type EstConfig = EnrollmentConfig['est'] &
  Pick<EnrollmentConfig, 'labels'> & { approval?: Pick<EnrollmentConfig['approval'], 'mode'> };

export const EST_OPERATIONS = {
  cacerts: 'GET',
  csrattrs: 'GET',
  simpleenroll: 'POST',
  simplereenroll: 'POST',
  serverkeygen: 'POST',
} as const;
export type EstOperation = keyof typeof EST_OPERATIONS;
export type EstHandler = (req: EstRequest) => Promise<EstResponse>;
export type EstHandlers = Record<EstOperation, EstHandler>;

export interface EstHandlerDeps {
  onboarding: Pick<Onboarding, 'enroll'>;
  ca: Pick<CertificateAuthority, 'caCertificates' | 'issuers'>;
  config: EstConfig;
  /** Every failure, already mapped (logs, metrics). */
  onError?: (op: EstOperation, err: AppError, req: EstRequest) => void;
}

export function createEstHandlers(d: EstHandlerDeps): EstHandlers {
  const ours = new OurIssuers(d.ca);
  const attrs = csrAttrsDer(d.config.csrAttrs, !d.config.allowUnboundBasic);
  let cacertsCache: { key: string; res: EstResponse } | undefined;

  const wrap =
    (op: EstOperation, fn: EstHandler): EstHandler =>
    async (req) => {
      try {
        if (req.label !== undefined && !Object.hasOwn(d.config.labels, req.label))
          throw new AppError('ERR_NOT_FOUND', 'unknown EST label');
        return await fn(req);
      } catch (e) {
        const { response, error } = estErrorResponse(e);
        d.onError?.(op, error, req);
        return response;
      }
    };

  async function enroll(req: EstRequest, renewal: boolean, keygen: boolean): Promise<EstResponse> {
    requireMediaType(req, MEDIA.pkcs10);
    const clientCsr = decodeBase64(req.body, 'PKCS#10 request');
    const fields = csrFields(clientCsr);
    const credential = credentialFor(
      {
        auth: req.auth,
        renewal,
        challengePassword: fields.challengePassword,
        allowUnboundBasic: d.config.allowUnboundBasic,
      },
      ours,
    );
    // serverkeygen makes a new key per request: a pending request could never be picked up
    if (credential.kind === 'none' && (keygen || d.config.approval?.mode === 'deny'))
      throw new AppError('ERR_UNAUTHENTICATED', 'authentication required: HTTP Basic token or TLS client certificate');
    if (keygen && wantsEncryptedKey(fields))
      throw new AppError(
        'ERR_BAD_INPUT',
        'encrypted server-generated keys are not supported (RFC 7030 §4.4.1.1/§4.4.1.2); the key is protected by TLS',
      );
    const generated = keygen ? generateKeyAndCsr(keygenAlgorithm(d.config.csrAttrs), fields.subjectDer) : undefined;
    let out;
    try {
      out = await d.onboarding.enroll({
        csrDer: generated?.csrDer ?? clientCsr,
        credential,
        protocol: 'est',
        label: req.label,
        peer: req.peer,
        renewal,
      });
    } catch (e) {
      if (credential.kind === 'none' && isAppError(e, 'ERR_ENROLL_DENIED') && d.config.approval === undefined) {
        throw new AppError(
          'ERR_UNAUTHENTICATED',
          'authentication required: HTTP Basic token or TLS client certificate',
          { cause: e },
        );
      }
      throw e;
    }
    if (out.kind === 'pending') return pendingResponse(out.requestId, out.retryAfter);
    const p7 = buildDegenerate([out.cert.der]);
    return generated ? keyAndCertResponse(generated.key, p7) : base64Response(MEDIA.certsOnly, p7);
  }

  return {
    cacerts: wrap('cacerts', async () => {
      const issuers = d.ca.issuers();
      const key = issuers.map((i) => `${i.record.id}:${i.record.status}`).join(',');
      if (cacertsCache?.key === key) return cacertsCache.res;
      const certs: Buffer[] = [];
      const add = (c: Buffer) => void (certs.some((x) => x.equals(c)) || certs.push(c));
      d.ca.caCertificates().forEach(add);
      for (const i of issuers) [i.record.certDer, ...i.record.chainDer].forEach(add);
      const res = base64Response(MEDIA.certsOnly, buildDegenerate(certs.slice(0, 16)));
      cacertsCache = { key, res };
      return res;
    }),
    csrattrs: wrap('csrattrs', async () =>
      attrs ? base64Response(MEDIA.csrattrs, attrs) : { status: 204, headers: {}, body: '' },
    ),
    simpleenroll: wrap('simpleenroll', (req) => enroll(req, false, false)),
    simplereenroll: wrap('simplereenroll', (req) => enroll(req, true, false)),
    serverkeygen: wrap('serverkeygen', (req) => {
      if (!d.config.serverKeygen) throw new AppError('ERR_NOT_FOUND', 'serverkeygen is not offered');
      return enroll(req, false, true);
    }),
  };
}
