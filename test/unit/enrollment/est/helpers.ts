/**
 * Helpers for the pure EST handler tests: handlers over a test world, requests with a fake
 * channel binding, and decoding of EST answers (base64 certs-only PKCS#7, text errors).
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import {
  createEstHandlers,
  type EstAuth,
  type EstHandlers,
  type EstRequest,
  type EstResponse,
} from '../../../../enrollment/est/index.ts';
import { parseDegenerate } from '../../../../enrollment/scep/index.ts';
import { makeCsr, type MakeCsrOptions } from '../../../helpers/pki.ts';
import { createEnrollEnv, type EnrollEnv, type EnrollmentInput } from './harness.ts';

export interface HandlerWorld extends EnrollEnv {
  h: EstHandlers;
  /** A stand-in for this "connection's" tls-unique / tls-exporter. */
  binding: Buffer;
}

export async function handlerWorld(input: EnrollmentInput = {}): Promise<HandlerWorld> {
  const env = await createEnrollEnv(input);
  const h = createEstHandlers({
    onboarding: env.onboarding,
    ca: env.pki.ca,
    config: { ...env.config.est, labels: env.config.labels, approval: env.config.approval },
  });
  return Object.assign(env, { h, binding: randomBytes(32) });
}

/** A CSR whose challengePassword carries the channel binding (RFC 7030 §3.5). */
export function boundCsr(binding: Buffer, opts: MakeCsrOptions = {}) {
  return makeCsr('P-256', { challengePassword: binding.toString('base64'), ...opts });
}

export function b64Lines(der: Buffer): string {
  return der.toString('base64').replace(/.{1,64}/g, '$&\r\n');
}

export function estReq(
  body: Buffer | string,
  auth: Partial<EstAuth> = {},
  extra: Partial<EstRequest> = {},
): EstRequest {
  return {
    body: Buffer.isBuffer(body) ? Buffer.from(body.toString('base64')) : Buffer.from(body),
    contentType: 'application/pkcs10',
    auth: { tlsAuthorized: false, ...auth },
    peer: '192.0.2.10',
    ...extra,
  };
}

export function basic(token: string, user = ''): EstAuth['basic'] {
  return { user, pass: token };
}

/** The certificates of a base64 certs-only response. */
export function certsOf(r: EstResponse): X509Certificate[] {
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${String(r.body)}`);
  return parseDegenerate(Buffer.from(String(r.body), 'base64')).map((d) => new X509Certificate(d));
}

export function text(r: EstResponse): string {
  return String(r.body);
}
