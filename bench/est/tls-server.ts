/**
 * The physical limit of one-connection-per-enrollment EST (started by setup.ts, never imported):
 * a bare Node TLS server that completes the handshake and closes, nothing else. It serves the
 * SAME certificate and key as Gatehouse's EST listener (read from the files given) with the same
 * TLS settings (TLS 1.2–1.3, no renegotiation, Node's defaults otherwise); with `--mtls` it
 * requires and verifies a client certificate against the same CA chain.
 * Session resumption is never used: the load generator offers no session (and counts any
 * handshake that resumed), so every handshake is a full one on both sides.
 * argv: <port> <key.pem> <cert.pem (server + chain)> <ca.pem> [--mtls]. Exits on SIGTERM.
 */
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';

const [port, keyFile, certFile, caFile] = process.argv.slice(2);
const mtls = process.argv.includes('--mtls');
if (!port || !keyFile || !certFile || !caFile) {
  console.error('usage: tls-server.ts <port> <key.pem> <cert.pem> <ca.pem> [--mtls]');
  process.exit(2);
}

let handshakes = 0;
let refused = 0;
const server = createServer(
  {
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    ca: readFileSync(caFile),
    requestCert: mtls,
    rejectUnauthorized: mtls,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  },
  (s) => {
    handshakes++;
    s.on('error', () => undefined);
    s.end();
  },
);
server.on('tlsClientError', () => refused++);
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}${mtls ? ' (mutual TLS)' : ''}`));

const stop = (): void => {
  console.log(`handshakes ${handshakes}, refused ${refused}`);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
