/**
 * The device side of EST as the benchmark speaks it (RFC 7030), shared by the load generator
 * (load-child.ts) and the pre-run checks (setup.ts): raw HTTP/1.1 requests over a TLS socket.
 *
 * - simpleenroll with HTTP Basic `deviceId:token` (§3.2.3); the CSR's challengePassword is the
 *   base64 of THIS connection's channel binding (§3.5: tls-exporter, RFC 9266, on TLS 1.3;
 *   tls-unique, RFC 5929, on TLS 1.2), which Gatehouse requires by default
 *   (enrollment.est.allowUnboundBasic stays off).
 * - simplereenroll (§4.2.2) authenticated by the current certificate as TLS client
 *   certificate, CSR with an empty subject (keeps the certificate's subject).
 * - Body: base64 DER of the PKCS#10 (application/pkcs10); answer: base64 certs-only PKCS#7.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { buildCsr } from '../../ca/index.ts';
import { encodeName } from '../../ca/asn1/index.ts';
import type { SoftwareSigner } from '../../platform/crypto.ts';

export const EST_PATH = '/.well-known/est';
const SUBJECT = encodeName({ commonName: 'bench-device', organization: 'bench' });
const EMPTY_SUBJECT = Buffer.from([0x30, 0x00]);

/** tls-exporter (TLS 1.3) or tls-unique (TLS 1.2, full handshake: the client's Finished). */
export function channelBinding(s: Socket): Buffer {
  const t = s as TLSSocket;
  if (t.getProtocol() === 'TLSv1.3') return t.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  const f = t.getFinished();
  if (!f) throw new Error('no tls-unique on this connection');
  return f;
}

/** base64 DER CSR for this connection: bound for simpleenroll, empty subject for reenroll. */
export function csrFor(signer: SoftwareSigner, s: Socket, reenroll: boolean): string {
  const der = reenroll
    ? buildCsr({ signer, subjectDer: EMPTY_SUBJECT })
    : buildCsr({ signer, subjectDer: SUBJECT, challengePassword: channelBinding(s).toString('base64') });
  return der.toString('base64');
}

export function estRequest(o: { port: number; op: 'simpleenroll' | 'simplereenroll'; csr64: string; basic?: { user: string; pass: string }; close: boolean }): Buffer {
  const head = [
    `POST ${EST_PATH}/${o.op} HTTP/1.1`,
    `Host: localhost:${o.port}`,
    ...(o.basic ? [`Authorization: Basic ${Buffer.from(`${o.basic.user}:${o.basic.pass}`).toString('base64')}`] : []),
    'Content-Type: application/pkcs10',
    `Content-Length: ${o.csr64.length}`,
    ...(o.close ? ['Connection: close'] : []),
  ];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${o.csr64}`, 'latin1');
}
