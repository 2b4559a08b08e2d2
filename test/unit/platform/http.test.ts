import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Router, closeServer, createHttpServer, listen, readBody } from '../../../platform/http/index.ts';
import { silentLogger } from '../../../platform/log.ts';
import { AppError, isAppError } from '../../../platform/errors.ts';

function rawExchange(port: number, data: string, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.write(data);
    setTimeout(() => {
      s.destroy();
      resolve(out);
    }, waitMs);
  });
}

test('router: 404, 405 with Allow, prefix routes, AppError mapping with Retry-After', async () => {
  const r = new Router();
  r.on('GET', '/a', (_q, res) => void res.end('a'));
  r.prefix('GET', '/p', (_q, res, ctx) => void res.end(`rest=${ctx.rest}`));
  r.on('GET', '/busy', () => {
    throw new AppError('ERR_STORE_BUSY', 'busy', { retryAfter: 2 });
  });
  r.on('POST', '/body', async (req, res) => void res.end(String((await readBody(req, 10)).length)));
  const srv = createHttpServer([r], { requestTimeoutMs: 2000, headersTimeoutMs: 1000, keepAliveTimeoutMs: 500 }, silentLogger());
  const { port } = await listen(srv, 0, '127.0.0.1');
  try {
    const get = (p: string, init?: RequestInit) => fetch(`http://127.0.0.1:${port}${p}`, init);
    assert.equal(await (await get('/a')).text(), 'a');
    assert.equal((await get('/nope')).status, 404);
    const m = await get('/a', { method: 'DELETE' });
    assert.equal(m.status, 405);
    assert.equal(m.headers.get('allow'), 'GET');
    assert.equal(await (await get('/p/x/y')).text(), 'rest=x/y');
    const b = await get('/busy');
    assert.equal(b.status, 503);
    assert.equal(b.headers.get('retry-after'), '2');
    assert.equal((await get('/body', { method: 'POST', body: '12345678901' })).status, 413);
  } finally {
    await closeServer(srv);
  }
});

test('a request declaring a too-large body is refused before it is sent', async () => {
  const r = new Router();
  r.on('POST', '/b', async (req, res) => void res.end(String((await readBody(req, 100)).length)));
  const srv = createHttpServer([r], { requestTimeoutMs: 5000, headersTimeoutMs: 2000, keepAliveTimeoutMs: 500 }, silentLogger());
  const { port } = await listen(srv, 0, '127.0.0.1');
  try {
    const out = await rawExchange(port, 'POST /b HTTP/1.1\r\nhost: x\r\ncontent-length: 10000000\r\n\r\n', 1500);
    assert.match(out, /^HTTP\/1\.1 413/);
  } finally {
    await closeServer(srv);
  }
});

test('slow clients are cut with 408; garbage gets 400; the server stays up', async () => {
  const r = new Router();
  r.on('GET', '/', (_q, res) => void res.end('ok'));
  const srv = createHttpServer([r], { requestTimeoutMs: 600, headersTimeoutMs: 300, keepAliveTimeoutMs: 200 }, silentLogger());
  const { port } = await listen(srv, 0, '127.0.0.1');
  try {
    const slow = await rawExchange(port, 'GET / HTTP/1.1\r\nhost: x\r\n', 4000);
    assert.match(slow, /^HTTP\/1\.1 408/);
    const junk = await rawExchange(port, '\u0000\u0001garbage\r\n\r\n', 2000);
    assert.match(junk, /^HTTP\/1\.1 400/);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'ok');
  } finally {
    await closeServer(srv);
  }
});

test('readBody rejects an invalid Content-Length', async () => {
  const { Readable } = await import('node:stream');
  const req = Object.assign(Readable.from([]), { headers: { 'content-length': 'abc' } });
  await assert.rejects(readBody(req as never, 10), (e) => isAppError(e, 'ERR_BAD_INPUT'));
});
