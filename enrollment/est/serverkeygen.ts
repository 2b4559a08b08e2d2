/**
 * /serverkeygen support: the server makes the key pair, a CSR that proves possession of it, and
 * the multipart answer carrying key and certificate.
 *
 * Rules enforced:
 * - RFC 7030 §4.4.1: the client's CSR only names the request; its key and signature are ignored.
 *   The key is generated here with node:crypto (P-256 unless /csrattrs asks for P-384) and the
 *   CSR handed to the CA is built with ca buildCsr and signed by that key (RFC 2986 §3 proof of
 *   possession), keeping the client's subject so re-enrollment subject checks still apply.
 * - RFC 7030 §4.4.2: 200 with `multipart/mixed`; first part `application/pkcs8` (the private
 *   key, PKCS#8 PrivateKeyInfo, base64), second part `application/pkcs7-mime;
 *   smime-type=certs-only` (only the new certificate, base64); each part says
 *   `Content-Transfer-Encoding: base64` (RFC 2045 §6) for clients that still read it.
 * - The key is returned unencrypted, protected by the TLS channel only (§4.4.2 allows this when
 *   no additional encryption is requested); requests for an encrypted key (§4.4.1.1/§4.4.1.2)
 *   are refused with 400 before any key is made. The key is never logged or stored.
 * - The boundary is random (RFC 2046 §5.1.1: 1..70 characters that cannot occur in base64
 *   lines).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { generateKey, SoftwareSigner, type KeyAlgorithm } from '../../platform/crypto.ts';
import { buildCsr } from '../../ca/index.ts';
import { encodeBase64, MEDIA, type EstResponse } from './wire.ts';

export interface GeneratedRequest {
  key: KeyObject;
  csrDer: Buffer;
}

/** A fresh key pair and a CSR for `subjectDer` signed with it. */
export function generateKeyAndCsr(alg: KeyAlgorithm, subjectDer: Buffer): GeneratedRequest {
  const key = generateKey(alg);
  const csrDer = buildCsr({ signer: new SoftwareSigner(key), subjectDer });
  return { key, csrDer };
}

/** The RFC 7030 §4.4.2 response: key part, then certificate part. */
export function keyAndCertResponse(key: KeyObject, certsOnlyDer: Buffer): EstResponse {
  const boundary = `est-${randomBytes(12).toString('hex')}`;
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const part = (type: string, der: Buffer) =>
    `--${boundary}\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: base64\r\n\r\n${encodeBase64(der)}\r\n`;
  const body = part(MEDIA.pkcs8, pkcs8) + part(MEDIA.certsOnly, certsOnlyDer) + `--${boundary}--\r\n`;
  return {
    status: 200,
    headers: { 'content-type': `multipart/mixed; boundary=${boundary}`, 'cache-control': 'no-store' },
    body,
  };
}

export interface MultipartPart {
  headers: Record<string, string>;
  body: string;
}

/** Splits a multipart/mixed body (tests and clients; RFC 2046 §5.1.1). */
export function parseMultipart(contentType: string, body: string): MultipartPart[] {
  const m = /boundary="?([^";]{1,70})"?/i.exec(contentType);
  if (!m) throw new AppError('ERR_BAD_INPUT', 'multipart without boundary');
  const delim = `--${m[1]}`;
  const sections = body.split(delim).slice(1);
  const out: MultipartPart[] = [];
  for (const s of sections) {
    if (s.startsWith('--')) break;
    const text = s.replace(/^\r?\n/, '');
    const sep = /\r?\n\r?\n/.exec(text);
    if (!sep) throw new AppError('ERR_BAD_INPUT', 'multipart part without header end');
    const headers: Record<string, string> = {};
    for (const line of text.slice(0, sep.index).split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    out.push({ headers, body: text.slice(sep.index + sep[0].length).replace(/\r?\n$/, '') });
  }
  return out;
}
