/**
 * EST against REAL clients: curl + openssl, the way operators test EST (REAL-CLIENTS.md), over
 * TLS 1.2 (`--tlsv1.2 --tls-max 1.2`) and TLS 1.3 (`--tlsv1.3`):
 * /cacerts -> `base64 -d | openssl pkcs7 -inform DER -print_certs`; /simpleenroll with the token
 * over Basic (allowUnboundBasic: curl cannot put tls-unique into a CSR; the bound path is
 * test/integration/est-tls-auth.test.ts); /simplereenroll with `--cert --key`; /csrattrs read by
 * `openssl asn1parse`; /serverkeygen multipart split here, key and certificate matched by
 * openssl; every issued certificate passes `openssl verify -x509_strict` against the /cacerts
 * chain; a replayed token gets 401 with WWW-Authenticate.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEnrollEnv, startEst, type EnrollEnv, type RunningEst } from '../unit/enrollment/est/harness.ts';
import { requireTool } from '../helpers/tools.ts';
import { toPem } from '../../ca/asn1/index.ts';

const run = promisify(execFile);
let env: EnrollEnv;
let est: RunningEst;

before(async () => {
  env = await createEnrollEnv({ est: { allowUnboundBasic: true } });
  est = await startEst(env);
  writeFileSync(join(env.dir, 'root.pem'), toPem('CERTIFICATE', env.pki.rootCertDer));
  writeFileSync(join(env.dir, 'issuing.pem'), toPem('CERTIFICATE', env.pki.issuer.record.certDer));
});
after(async () => {
  await est?.est.close();
  await env?.cleanup();
});

const sh = async (cmd: string): Promise<string> =>
  (await run('sh', ['-ec', cmd], { cwd: env.dir, maxBuffer: 4 << 20 })).stdout;
const url = (op: string) => `https://127.0.0.1:${est.port}/.well-known/est/${op}`;

for (const [name, flags] of [
  ['TLS 1.2', '--tlsv1.2 --tls-max 1.2'],
  ['TLS 1.3', '--tlsv1.3'],
] as const) {
  const v = name.replace(/\D/g, '');
  const curl = (args: string) => `curl -sS --fail-with-body ${flags} --cacert ca.pem ${args}`;

  test(`curl ${name}: cacerts, simpleenroll (Basic token), simplereenroll (--cert), openssl verify`, async (t) => {
    if (!requireTool(t, 'curl', 'curl') || !requireTool(t, 'openssl', 'openssl')) return;
    const dev = `curl-${v}`;
    await env.addDevice(dev);
    const tok = await env.token(dev);
    // the negotiated version is the one asked for
    const verbose = (await run('sh', ['-ec', `${curl(`-v -o /dev/null ${url('cacerts')}`)} 2>&1`], { cwd: env.dir }))
      .stdout;
    assert.match(verbose, new RegExp(`SSL connection using TLSv${v === '12' ? '1\\.2' : '1\\.3'}`));

    await sh(
      `${curl(`${url('cacerts')} -o cacerts${v}.b64`)}; base64 -d cacerts${v}.b64 | openssl pkcs7 -inform DER -print_certs -out chain${v}.pem`,
    );
    const chain = readFileSync(join(env.dir, `chain${v}.pem`), 'utf8');
    const blocks = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
    assert.equal(blocks.length, 2, chain);
    writeFileSync(join(env.dir, `issuing${v}.pem`), blocks[0]!);
    writeFileSync(join(env.dir, `root${v}.pem`), blocks[1]!);
    assert.equal(blocks[1], toPem('CERTIFICATE', env.pki.rootCertDer), 'the root comes last');
    const verify = (cert: string) =>
      sh(`openssl verify -x509_strict -purpose sslclient -CAfile root${v}.pem -untrusted issuing${v}.pem ${cert}`);

    await sh(
      `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ${dev}.key -subj /CN=whatever -outform DER -out ${dev}.csr 2>/dev/null; base64 ${dev}.csr > ${dev}.csr.b64`,
    );
    await sh(
      `${curl(`-u ${dev}:${tok} -H 'Content-Type: application/pkcs10' --data-binary @${dev}.csr.b64 ${url('simpleenroll')} -o ${dev}.p7.b64`)}`,
    );
    await sh(`base64 -d ${dev}.p7.b64 | openssl pkcs7 -inform DER -print_certs -out ${dev}.pem`);
    assert.equal(
      (readFileSync(join(env.dir, `${dev}.pem`), 'utf8').match(/BEGIN CERTIFICATE/g) ?? []).length,
      1,
      'only the new certificate',
    );
    assert.match(await sh(`openssl x509 -in ${dev}.pem -noout -subject`), new RegExp(`CN ?= ?${dev}`));
    assert.match(await verify(`${dev}.pem`), /: OK/);

    // replay: 401 with WWW-Authenticate
    const replay = await sh(
      `curl -sS ${flags} --cacert ca.pem -D - -o /dev/null -u ${dev}:${tok} -H 'Content-Type: application/pkcs10' --data-binary @${dev}.csr.b64 ${url('simpleenroll')}`,
    );
    assert.match(replay, /^HTTP\/1\.1 401/);
    assert.match(replay, /www-authenticate: Basic realm="gatehouse-est"/i);

    // re-enroll: a new key, the subject copied from the current certificate, mTLS with it
    await sh(
      `openssl ecparam -name prime256v1 -genkey -noout -out ${dev}-2.key; openssl x509 -x509toreq -in ${dev}.pem -signkey ${dev}-2.key -out ${dev}-2.req 2>/dev/null; openssl req -in ${dev}-2.req -outform DER | base64 > ${dev}-2.csr.b64`,
    );
    await sh(
      `${curl(`--cert ${dev}.pem --key ${dev}.key -H 'Content-Type: application/pkcs10' --data-binary @${dev}-2.csr.b64 ${url('simplereenroll')} -o ${dev}-2.p7.b64`)}`,
    );
    await sh(`base64 -d ${dev}-2.p7.b64 | openssl pkcs7 -inform DER -print_certs -out ${dev}-2.pem`);
    assert.match(await verify(`${dev}-2.pem`), /: OK/);
    const pub = (f: string, how: string) => sh(`${how} ${f}`);
    assert.equal(
      await pub(`${dev}-2.pem`, 'openssl x509 -noout -pubkey -in'),
      await pub(`${dev}-2.key`, 'openssl pkey -pubout -in'),
    );
    assert.notEqual(
      await sh(`openssl x509 -in ${dev}-2.pem -noout -serial`),
      await sh(`openssl x509 -in ${dev}.pem -noout -serial`),
    );

    // no client certificate: re-enrollment is 401
    const anon = await sh(
      `curl -sS ${flags} --cacert ca.pem -o /dev/null -w '%{http_code}' -H 'Content-Type: application/pkcs10' --data-binary @${dev}-2.csr.b64 ${url('simplereenroll')}`,
    );
    assert.equal(anon, '401');
  });

  test(`curl ${name}: csrattrs and serverkeygen`, async (t) => {
    if (!requireTool(t, 'curl', 'curl') || !requireTool(t, 'openssl', 'openssl')) return;
    const attrs = await sh(
      `${curl(`${url('csrattrs')} -o attrs${v}.b64`)}; base64 -d attrs${v}.b64 | openssl asn1parse -inform DER`,
    );
    assert.match(attrs, /ecdsa-with-SHA256/);
    assert.match(attrs, /id-ecPublicKey/);
    assert.match(attrs, /prime256v1/);

    const dev = `keygen-${v}`;
    await env.addDevice(dev);
    const tok = await env.token(dev);
    await sh(
      `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=${dev} -outform DER 2>/dev/null | base64 > ${dev}.csr.b64`,
    );
    const headers = await sh(
      `${curl(`-D ${dev}.h -u :${tok} -H 'Content-Type: application/pkcs10' --data-binary @${dev}.csr.b64 ${url('serverkeygen')} -o ${dev}.multipart`)}; cat ${dev}.h`,
    );
    const ct = /content-type: (multipart\/mixed;[^\r\n]+)/i.exec(headers)?.[1];
    assert.ok(ct, headers);
    // independent split (not the server's parseMultipart): RFC 2046 §5.1.1
    const boundary = /boundary=([^;\s]+)/.exec(ct)![1]!;
    const body = readFileSync(join(env.dir, `${dev}.multipart`), 'latin1');
    const parts = body
      .split(`--${boundary}`)
      .slice(1, -1)
      .map((p) => {
        const [head, ...rest] = p.split('\r\n\r\n');
        return { type: /content-type: ([^\r\n]+)/i.exec(head!)![1]!.trim(), b64: rest.join('').trim() };
      });
    assert.deepEqual(
      parts.map((p) => p.type),
      ['application/pkcs8', 'application/pkcs7-mime; smime-type=certs-only'],
    );
    writeFileSync(join(env.dir, `${dev}.key.b64`), parts[0]!.b64);
    writeFileSync(join(env.dir, `${dev}.p7.b64`), parts[1]!.b64);
    await sh(
      `base64 -d ${dev}.key.b64 | openssl pkey -inform DER -out ${dev}.key; base64 -d ${dev}.p7.b64 | openssl pkcs7 -inform DER -print_certs -out ${dev}.pem`,
    );
    assert.equal(
      await sh(`openssl x509 -noout -pubkey -in ${dev}.pem`),
      await sh(`openssl pkey -pubout -in ${dev}.key`),
    );
    assert.match(await sh(`openssl verify -x509_strict -CAfile root.pem -untrusted issuing.pem ${dev}.pem`), /: OK/);
  });
}
