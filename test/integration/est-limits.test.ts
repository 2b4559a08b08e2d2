/**
 * The EST HTTPS adapter against hostile and sloppy clients: 413 answered from the declared
 * Content-Length before any body byte is sent (nothing buffered), chunked bodies cut at the limit,
 * slow clients (stalled headers, stalled body, no TLS handshake) disconnected by the server's
 * timeouts, unknown paths 404, wrong methods 405 with Allow, HEAD.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { createEnrollEnv, startEst, type EnrollEnv, type RunningEst } from '../unit/enrollment/est/harness.ts';
import { closedWithin, estCall, estConnect } from './est-client.ts';
import { readFileSync } from 'node:fs';

let env: EnrollEnv;
let est: RunningEst;
let ca: string;

before(async () => {
  env = await createEnrollEnv({ est: { maxBodyBytes: 4096 } });
  est = await startEst(env, { requestTimeoutMs: 600, headersTimeoutMs: 300, keepAliveTimeoutMs: 300 });
  ca = readFileSync(est.caFile, 'utf8');
});
after(async () => {
  await est.est.close();
  await env.cleanup();
});

/** Writes raw bytes on a fresh TLS connection and collects what the server answers until it closes. */
async function raw(write: string, opts: { end?: boolean } = {}): Promise<string> {
  const sock = await estConnect({ port: est.port, ca });
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  sock.on('error', () => undefined);
  sock.write(write);
  if (opts.end) sock.end();
  await closedWithin(sock, 15_000);
  return Buffer.concat(chunks).toString('latin1');
}

test('413 from a declared Content-Length over the limit, before the body is sent; the connection closes', async () => {
  const sock = await estConnect({ port: est.port, ca });
  const got = new Promise<string>((resolve) => {
    let s = '';
    sock.on('data', (c: Buffer) => {
      s += c.toString('latin1');
      if (s.includes('\r\n\r\n')) resolve(s);
    });
  });
  // headers only: the 10 MB body is never sent, so any answer proves nothing was waited for
  sock.write(
    'POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pkcs10\r\nContent-Length: 10000000\r\n\r\n',
  );
  const head = await got;
  assert.match(head, /^HTTP\/1\.1 413 /);
  assert.match(head, /connection: close/i);
  await closedWithin(sock, 15_000);
});

test('413 for a chunked body the moment it passes the limit', async () => {
  const chunk = 'A'.repeat(3000);
  const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(3);
  const out = await raw(
    `POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pkcs10\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
  );
  assert.match(out, /^HTTP\/1\.1 413 /);
});

test('slow clients are cut: stalled headers, stalled body (never a 2xx)', async () => {
  const h = await raw('POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: local');
  assert.ok(h === '' || /^HTTP\/1\.1 4\d\d/.test(h), h);
  const b = await raw(
    'POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pkcs10\r\nContent-Length: 100\r\n\r\nMIIB',
  );
  assert.ok(b === '' || /^HTTP\/1\.1 4\d\d/.test(b), b);
});

test('a TCP client that never starts TLS is disconnected (handshake timeout)', async () => {
  const s = tcpConnect({ host: '127.0.0.1', port: est.port });
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  await closedWithin(s, 15_000);
});

test('routing: unknown operation or label syntax 404, wrong method 405 with Allow, HEAD /cacerts', async () => {
  const o = { port: est.port, ca };
  for (const p of [
    '/.well-known/est',
    '/.well-known/est/',
    '/.well-known/est/enroll',
    '/.well-known/est/a/b/cacerts',
    '/.well-known/est/bad%20label/cacerts',
    '/.well-known/est/nolabel/cacerts',
  ]) {
    assert.equal((await estCall(o, p)).status, 404, p);
  }
  const m = await estCall(o, '/.well-known/est/simpleenroll');
  assert.equal(m.status, 405);
  assert.equal(m.headers.allow, 'POST');
  const p = await estCall(o, '/.well-known/est/cacerts', { method: 'POST', body: 'x' });
  assert.equal(p.status, 405);
  assert.equal(p.headers.allow, 'GET, HEAD');
  const head = await estCall(o, '/.well-known/est/cacerts', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  const get = await estCall(o, '/.well-known/est/cacerts');
  assert.equal(get.status, 200);
  assert.equal(get.headers['cache-control'], 'no-store');
});
