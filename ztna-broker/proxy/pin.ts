/**
 * Upstream TLS verification for device consoles: fingerprint pinning, per route.
 *
 * Rules enforced:
 * - There is no global "skip verify": a route with `pin` accepts exactly the pinned
 *   certificate (SHA-256 of the DER) or public key (SHA-256 of the SPKI, RFC 7469 §2.4) —
 *   self-signed device certificates included — and nothing else; a route with `ca` verifies the
 *   chain and host name against that CA only; both set -> both must hold.
 * - The pin is checked on the established TLS socket BEFORE the socket is handed to undici, so
 *   not one request byte reaches an impostor (ERR_UPSTREAM_PIN).
 * - TLS session resumption to upstreams is off (maxCachedSessions 0): every connection shows
 *   its certificate and is checked again.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';
import { AppError } from '../../platform/errors.ts';
import type { Route, UpstreamPin } from '../policy/index.ts';

/** True when the DER certificate matches one of the pins. */
export function pinMatches(certDer: Buffer, pins: readonly UpstreamPin[]): boolean {
  let certHex: string | null = null;
  let spkiB64: string | null = null;
  for (const p of pins) {
    if (p.kind === 'cert-sha256') {
      certHex ??= createHash('sha256').update(certDer).digest('hex');
      if (certHex === p.hex) return true;
    } else {
      if (spkiB64 === null) {
        try {
          const spki = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
          spkiB64 = createHash('sha256').update(spki).digest('base64');
        } catch {
          return false;
        }
      }
      if (spkiB64 === p.base64) return true;
    }
  }
  return false;
}

export function pinnedConnector(route: Route, timeoutMs: number): buildConnector.connector {
  const pins = route.pins;
  const ca = route.ca === null ? undefined : readFileSync(route.ca, 'utf8');
  const hostname = route.upstream.hostname.replace(/^\[|\]$/g, '');
  const base = buildConnector({
    rejectUnauthorized: ca !== undefined,
    ...(ca !== undefined ? { ca } : {}),
    ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
    maxCachedSessions: 0,
    timeout: timeoutMs,
  });
  if (route.upstream.protocol !== 'https:' || pins.length === 0) return base;
  return (opts, callback) =>
    base(opts, (err, socket) => {
      if (err !== null) return callback(err, null);
      const peer = (socket as TLSSocket).getPeerCertificate?.(false);
      if (!peer?.raw || !pinMatches(peer.raw, pins)) {
        socket.destroy();
        return callback(new AppError('ERR_UPSTREAM_PIN', `upstream certificate of route ${route.id} does not match its pin`), null);
      }
      callback(null, socket);
    });
}
