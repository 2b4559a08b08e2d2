/**
 * Admin authentication for the admin API: mutual TLS.
 * Rules: the TLS layer verified the chain against our CA (socket.authorized); then, on EVERY
 * request, the certificate's live status must be good (revocation takes effect immediately,
 * also on keep-alive connections), its profile admin-client, and its email SAN in api.admins
 * when that list is set. Unknown status (store failing) denies (fail closed).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AppError } from '../../platform/index.ts';
import type { CertificateAuthority } from '../../ca/index.ts';

export interface Admin {
  email: string;
  serial: string;
  actor: string;
}

export async function authenticateAdmin(req: IncomingMessage, ca: CertificateAuthority, admins: readonly string[]): Promise<Admin> {
  const sock = req.socket as TLSSocket;
  if (typeof sock.getPeerCertificate !== 'function') throw new AppError('ERR_UNAUTHENTICATED', 'TLS client certificate required');
  const peer = sock.getPeerCertificate();
  if (!peer || !peer.raw) throw new AppError('ERR_UNAUTHENTICATED', 'TLS client certificate required');
  if (!sock.authorized) throw new AppError('ERR_CERT_FOREIGN', `client certificate not accepted: ${String(sock.authorizationError ?? 'unknown issuer')}`);
  const st = await ca.statusOfCert(peer.raw);
  if (st.state === 'revoked') throw new AppError('ERR_CERT_REVOKED', 'client certificate is revoked');
  if (st.state !== 'good') throw new AppError('ERR_CERT_FOREIGN', 'client certificate is not known to this CA');
  if (st.record.profile !== 'admin-client') throw new AppError('ERR_FORBIDDEN', 'an admin-client certificate is required');
  const email = (st.record.sans.email ?? [])[0];
  if (!email) throw new AppError('ERR_FORBIDDEN', 'admin certificate has no email');
  if (admins.length && !admins.map((a) => a.toLowerCase()).includes(email.toLowerCase())) throw new AppError('ERR_FORBIDDEN', `${email} is not an administrator`);
  return { email, serial: st.record.serial, actor: `admin:${email}` };
}
