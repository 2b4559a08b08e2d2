/**
 * A minimal SCEP HTTP endpoint for interop tests (RFC 8894 §4): /scep answers GetCACert (RA + CA
 * degenerate PKCS#7, application/x-x509-ca-ra-cert), GetCACaps, and PKIOperation by POST or GET
 * `message=` (base64; '+' and '/' may arrive unescaped, as macOS sends them). PKIOperation runs
 * our parsePkiMessage → an `openssl x509 -req` "CA" → our buildCertRep; message-layer errors
 * that carry a transactionId become a CertRep FAILURE, as the real router must do.
 * Test-only: the production router comes later and owns limits, content-type checks and logging.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';
import { isAppError } from '../../../../platform/errors.ts';
import {
  buildCertRep,
  buildDegenerate,
  certRepFailureFor,
  getCaCapsText,
  parsePkiMessage,
  SCEP_CONTENT_TYPES,
  type PkiMessage,
} from '../../../../enrollment/scep/index.ts';
import { makePki } from './pki.ts';

const run = promisify(execFile);
const pki = makePki();
const ra = { certDer: pki.raDer, key: pki.raKey };

export interface Seen {
  method: string;
  msg?: PkiMessage;
  error?: string;
}
export const state = { caps: getCaCapsText(), allowDesCbc: true, seen: [] as Seen[] };

/** Test-side signer: `openssl x509 -req` with the test CA. */
async function issue(csrDer: Buffer): Promise<Buffer> {
  const id = crypto.randomUUID();
  const csr = pki.file(`${id}.csr`);
  fs.writeFileSync(csr, csrDer);
  const serial = `0x${crypto.randomBytes(12).toString('hex')}`;
  const args = `x509 -req -inform DER -in ${csr} -CA ca.pem -CAkey ca.key -set_serial ${serial} -days 1 -outform DER`;
  await run('openssl', [...args.split(' '), '-out', pki.file(`${id}.der`)], { cwd: pki.dir });
  return fs.readFileSync(pki.file(`${id}.der`));
}

async function pkiOperation(body: Buffer, method: string): Promise<Buffer | null> {
  let msg: PkiMessage;
  try {
    msg = await parsePkiMessage(body, ra, { allowDesCbc: state.allowDesCbc });
  } catch (e) {
    state.seen.push({ method, error: isAppError(e) ? e.code : String(e) });
    const failure = certRepFailureFor(e, ra);
    return failure ? buildCertRep(failure) : null;
  }
  state.seen.push({ method, msg });
  return buildCertRep({
    status: 'SUCCESS',
    transactionId: msg.transactionId,
    recipientNonce: msg.senderNonce,
    issuedCertDer: await issue(msg.csrDer ?? Buffer.alloc(0)),
    caChainDer: [pki.caDer],
    recipientCertDer: msg.signerCertDer,
    ra,
  });
}

/** GET message=: decode %XX but keep '+' as '+' (URLSearchParams would turn it into a space). */
function getMessage(rawUrl: string): Buffer {
  const m = /[?&]message=([^&]*)/.exec(rawUrl);
  return Buffer.from(decodeURIComponent(m?.[1] ?? ''), 'base64');
}

export const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const op = u.searchParams.get('operation');
      if (u.pathname !== '/scep') return res.writeHead(404).end();
      if (op === 'GetCACert') {
        return res
          .writeHead(200, { 'content-type': SCEP_CONTENT_TYPES.caRaCert })
          .end(buildDegenerate([pki.raDer, pki.caDer]));
      }
      if (op === 'GetCACaps') return res.writeHead(200, { 'content-type': 'text/plain' }).end(state.caps);
      if (op === 'PKIOperation') {
        const body = req.method === 'POST' ? Buffer.concat(chunks) : getMessage(req.url ?? '');
        const rep = await pkiOperation(body, req.method ?? '');
        if (!rep) return res.writeHead(400).end();
        return res.writeHead(200, { 'content-type': SCEP_CONTENT_TYPES.pkiMessage }).end(rep);
      }
      res.writeHead(400).end();
    })().catch(() => res.writeHead(500).end());
  });
});
