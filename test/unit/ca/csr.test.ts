/**
 * PKCS#10 parsing (RFC 2986) against real `openssl req` output and hand-built edge cases:
 * key policy, signature algorithms, size cap, strict DER, extension/attribute policy, SKI.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ECDH, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import * as x509 from '@peculiar/x509';
import * as der from '../../../ca/asn1/index.ts';
import { OID } from '../../../ca/asn1/index.ts';
import { checkKeyPolicy, describeSpki, parseCsr, subjectKeyIdentifier, type ParseCsrOptions } from '../../../ca/csr.ts';
import { isAppError, type ErrorCode } from '../../../platform/errors.ts';
import { requireTool } from '../../helpers/tools.ts';

const xor = (b: Buffer, i: number, v: number): void => {
  b[i] = (b[i] as number) ^ v;
};
const dir = mkdtempSync(join(tmpdir(), 'csr-test-'));
let seq = 0;

/** Runs openssl to make a key (genpkey/ecparam args) and a DER CSR; returns the CSR and key paths. */
function opensslCsr(t: TestContext, keyArgs: string[], reqArgs: string[] = []): { csr: Buffer; key: string } | null {
  const bin = requireTool(t, 'openssl', 'openssl');
  if (!bin) return null;
  const key = join(dir, `k${++seq}.pem`);
  const out = join(dir, `r${seq}.der`);
  const run = (args: string[]): string =>
    execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  run([...keyArgs, '-out', key]);
  const subj = reqArgs.includes('-config') ? [] : ['-subj', '/C=FR/O=Acme/CN=dev-1']; // -subj drops config attributes
  run(['req', '-new', '-key', key, ...subj, '-outform', 'DER', '-out', out, ...reqArgs]);
  return { csr: readFileSync(out), key };
}
const ec = (curve: string): string[] => ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`];
const args = (s: string): string[] => s.split(' ');
const rsa = (bits: number, e = 65537): string[] =>
  args(`genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${bits} -pkeyopt rsa_keygen_pubexp:${e}`);

const rejects = (code: ErrorCode, csr: Buffer, opts?: ParseCsrOptions): void => {
  assert.throws(
    () => parseCsr(csr, opts),
    (e) => isAppError(e, code) || assert.fail(`expected ${code}, got ${e}`),
  );
};

/** Builds and signs a CSR with the DER writer (for cases openssl will not produce). */
type BuildOpts = {
  attrs?: Buffer[] | null;
  sigAlg?: Buffer;
  spki?: Buffer;
  key?: { privateKey: KeyObject; publicKey: KeyObject };
};
function buildCsr(o: BuildOpts = {}): Buffer {
  const key = o.key ?? generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = o.spki ?? key.publicKey.export({ type: 'spki', format: 'der' });
  const attrs = o.attrs === null ? [] : [der.tlv(0xa0, ...(o.attrs ?? []))];
  const info = der.seq(der.integer(0), der.encodeName({ commonName: 'built' }), spki, ...attrs);
  const sig = sign(key.privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', info, key.privateKey);
  return der.seq(info, o.sigAlg ?? der.seq(der.oid(OID.ecdsaWithSHA256)), der.bitString(sig));
}
const ext = (oid: string, value: Buffer, critical?: boolean): Buffer =>
  der.seq(der.oid(oid), ...(critical === undefined ? [] : [der.bool(critical)]), der.octetString(value));
const extReq = (...exts: Buffer[]): Buffer => der.seq(der.oid(OID.extensionRequest), der.set(der.seq(...exts)));
const challenge = (pw: string): Buffer => der.seq(der.oid(OID.challengePassword), der.set(der.utf8String(pw)));

describe('parseCsr with openssl-generated requests', () => {
  it('P-256 with extensions: fields, SPKI, SKI, @peculiar/x509 agreement', (t) => {
    const r = opensslCsr(
      t,
      ec('P-256'),
      args('-addext subjectAltName=DNS:dev-1.example.com -addext keyUsage=critical,digitalSignature'),
    );
    if (!r) return;
    const csr = parseCsr(r.csr);
    assert.deepEqual(csr.key, { kind: 'ec', curve: 'P-256' });
    assert.equal(csr.subject, 'CN=dev-1,O=Acme,C=FR');
    assert.equal(csr.signatureAlgorithm, OID.ecdsaWithSHA256);
    assert.deepEqual(
      csr.extensions.map((e) => `${e.oid}:${e.critical}`).join(),
      `${OID.subjectAltName}:false,${OID.keyUsage}:true`,
    );
    assert.equal(csr.extensions[1]?.valueDer.toString('hex'), '03020780');
    assert.equal(csr.challengePassword, undefined);
    const bin = requireTool(t, 'openssl', 'openssl')!;
    const spki = execFileSync(bin, ['pkey', '-in', r.key, '-pubout', '-outform', 'DER']);
    assert.deepEqual(csr.spkiDer, spki);
    const peculiar = new x509.Pkcs10CertificateRequest(r.csr);
    assert.deepEqual(Buffer.from(peculiar.publicKey.rawData), csr.spkiDer);
    assert.deepEqual(Buffer.from(peculiar.subjectName.toArrayBuffer()), csr.subjectDer);
    // SKI equals what openssl puts in a self-signed certificate made from the same key
    const cert = join(dir, 'ski.pem');
    execFileSync(bin, ['req', '-x509', '-key', r.key, '-subj', '/CN=ski', '-out', cert]);
    const ski = new x509.X509Certificate(readFileSync(cert, 'utf8')).getExtension(x509.SubjectKeyIdentifierExtension);
    assert.equal(subjectKeyIdentifier(csr.spkiDer).toString('hex'), ski?.keyId);
  });

  it('P-384 / SHA-384 and P-521 / SHA-512', (t) => {
    const a = opensslCsr(t, ec('P-384'), ['-sha384']);
    const b = opensslCsr(t, ec('P-521'), ['-sha512']);
    if (!a || !b) return;
    assert.deepEqual(parseCsr(a.csr).key, { kind: 'ec', curve: 'P-384' });
    assert.equal(parseCsr(a.csr).signatureAlgorithm, OID.ecdsaWithSHA384);
    assert.deepEqual(parseCsr(b.csr).key, { kind: 'ec', curve: 'P-521' });
  });

  it('RSA-2048 with PKCS#1 v1.5 and with RSASSA-PSS', (t) => {
    const r = opensslCsr(t, rsa(2048));
    if (!r) return;
    assert.deepEqual(parseCsr(r.csr).key, { kind: 'rsa', bits: 2048, exponent: 65537 });
    const bin = requireTool(t, 'openssl', 'openssl')!;
    const out = join(dir, 'pss.der');
    const pssArgs = `-subj /CN=pss -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -outform DER`;
    execFileSync(bin, ['req', '-new', '-key', r.key, ...args(pssArgs), '-out', out]);
    const pss = parseCsr(readFileSync(out));
    assert.equal(pss.signatureAlgorithm, OID.rsassaPss);
    const flipped = Buffer.from(readFileSync(out));
    xor(flipped, flipped.length - 1, 1);
    rejects('ERR_CSR_SIGNATURE', flipped);
  });

  it('Ed25519', (t) => {
    const r = opensslCsr(t, ['genpkey', '-algorithm', 'ED25519']);
    if (!r) return;
    assert.deepEqual(parseCsr(r.csr).key, { kind: 'ed25519' });
  });

  it('key policy: RSA-1024, e=3, explicit EC parameters, secp256k1, Ed448', (t) => {
    const cases = [
      opensslCsr(t, rsa(1024)),
      opensslCsr(t, rsa(2048, 3)),
      opensslCsr(t, args('ecparam -name prime256v1 -genkey -noout -param_enc explicit')),
      opensslCsr(t, ec('secp256k1')),
      opensslCsr(t, ['genpkey', '-algorithm', 'ED448']),
    ];
    for (const r of cases) if (r) rejects('ERR_KEY_POLICY', r.csr);
  });

  it('caller policy narrows but never widens', (t) => {
    const p256 = opensslCsr(t, ec('P-256'));
    const r2048 = opensslCsr(t, rsa(2048));
    if (!p256 || !r2048) return;
    rejects('ERR_KEY_POLICY', p256.csr, { keyPolicy: { ec: ['P-384'] } });
    rejects('ERR_KEY_POLICY', r2048.csr, { keyPolicy: { rsa: { minBits: 3072 } } });
    rejects('ERR_KEY_POLICY', r2048.csr, { keyPolicy: { rsa: false } });
    assert.ok(parseCsr(r2048.csr, { keyPolicy: { rsa: { minBits: 1024 } } }));
    assert.throws(() => checkKeyPolicy({ kind: 'rsa', bits: 1024, exponent: 65537 }, { rsa: { minBits: 512 } }));
    assert.throws(() => checkKeyPolicy({ kind: 'rsa', bits: 16384, exponent: 65537 }, { rsa: { maxBits: 20000 } }));
  });

  it('CA:TRUE request, challengePassword, SHA-1, bad signatures', (t) => {
    const ca = opensslCsr(t, ec('P-256'), ['-addext', 'basicConstraints=critical,CA:TRUE']);
    const notCa = opensslCsr(t, ec('P-256'), ['-addext', 'basicConstraints=CA:FALSE']);
    const sha1 = opensslCsr(t, rsa(2048), ['-sha1']);
    if (!ca || !notCa || !sha1) return;
    rejects('ERR_CSR_POLICY', ca.csr);
    assert.ok(parseCsr(notCa.csr));
    rejects('ERR_CSR_SIGNATURE', sha1.csr);
    const cnf = join(dir, 'cp.cnf');
    const conf =
      '[req]\nprompt=no\ndistinguished_name=dn\nattributes=attrs\n[dn]\nCN=cp\n[attrs]\nchallengePassword=s3cret-Pass';
    writeFileSync(cnf, conf + '\n');
    const cp = opensslCsr(t, ec('P-256'), ['-config', cnf]);
    assert.equal(parseCsr(cp!.csr).challengePassword, 's3cret-Pass');
    for (const at of [1, 5]) {
      const bad = Buffer.from(notCa.csr);
      xor(bad, bad.length - at, 0x01); // inside s of the ECDSA signature: still DER, wrong value
      rejects('ERR_CSR_SIGNATURE', bad);
    }
    const subjectFlip = Buffer.from(notCa.csr);
    xor(subjectFlip, subjectFlip.indexOf('dev-1'), 0x20); // 'D': signed bytes changed
    rejects('ERR_CSR_SIGNATURE', subjectFlip);
  });

  it('size cap, truncation, trailing garbage, copies', (t) => {
    const r = opensslCsr(t, ec('P-256'));
    if (!r) return;
    rejects('ERR_CSR_TOO_LARGE', Buffer.alloc(64 * 1024 + 1));
    rejects('ERR_CSR_MALFORMED', Buffer.alloc(64 * 1024));
    rejects('ERR_CSR_TOO_LARGE', r.csr, { maxBytes: 100 });
    for (let n = 0; n < r.csr.length; n += 7) rejects('ERR_CSR_MALFORMED', r.csr.subarray(0, n));
    rejects('ERR_CSR_MALFORMED', Buffer.concat([r.csr, Buffer.from([0])]));
    rejects('ERR_CSR_MALFORMED', 'not bytes' as unknown as Buffer);
    const input = Buffer.from(r.csr);
    const csr = parseCsr(input);
    const spki = Buffer.from(csr.spkiDer);
    input.fill(0);
    assert.deepEqual(csr.spkiDer, spki);
    assert.deepEqual(parseCsr(der.fromPem(der.toPem('CERTIFICATE REQUEST', r.csr), 'CERTIFICATE REQUEST')).der, r.csr);
  });
});

describe('parseCsr with hand-built requests', () => {
  const san = der.encodeGeneralNames({ dns: ['a.example'] });

  it('accepts a well-formed built request, with or without the attributes field', () => {
    assert.equal(parseCsr(buildCsr({ attrs: [extReq(ext(OID.subjectAltName, san))] })).extensions.length, 1);
    assert.deepEqual(parseCsr(buildCsr({ attrs: null })).attributeOids, []);
    const ed = generateKeyPairSync('ed25519');
    assert.equal(parseCsr(buildCsr({ key: ed, sigAlg: der.seq(der.oid(OID.ed25519)) })).key.kind, 'ed25519');
  });

  const each = (code: ErrorCode, ...cases: BuildOpts[]): void => cases.forEach((c) => rejects(code, buildCsr(c)));
  const attrs = (...a: Buffer[]): BuildOpts => ({ attrs: a });
  const sigAlg = (oid: string, ...params: Buffer[]): BuildOpts => ({ sigAlg: der.seq(der.oid(oid), ...params) });

  it('duplicate extensions and duplicate single-valued attributes are a policy failure; so is cA TRUE', () => {
    const ku = ext(OID.keyUsage, der.namedBits([0]));
    const caTrue = ext(OID.basicConstraints, der.seq(der.bool(true), der.integer(0)));
    const dupSan = extReq(ext(OID.subjectAltName, san), ext(OID.subjectAltName, san));
    each('ERR_CSR_POLICY', attrs(dupSan), attrs(extReq(ku), extReq(ku)), attrs(challenge('a'), challenge('b')));
    each('ERR_CSR_POLICY', attrs(extReq(caTrue)));
  });

  it('strict structure', () => {
    each(
      'ERR_CSR_MALFORMED',
      attrs(extReq(ext(OID.subjectAltName, san, false))), // critical FALSE encoded although DEFAULT
      attrs(der.seq(der.oid(OID.challengePassword), der.set(der.integer(1)))),
      attrs(challenge('x'.repeat(256))),
      attrs(der.seq(der.oid(OID.challengePassword), der.set())),
      attrs(extReq(ext(OID.basicConstraints, Buffer.from('3003', 'hex')))),
      sigAlg(OID.ecdsaWithSHA256, der.nullDer()),
    );
    const other = der.seq(der.oid('1.2.3.4'), der.set(der.nullDer()));
    assert.equal(parseCsr(buildCsr(attrs(challenge('pw'), other))).challengePassword, 'pw');
  });

  it('signature algorithm must match the key and be accepted', () => {
    // RSA algorithm on an EC key, SHA-1, unknown, SHA-384 claimed for a SHA-256 signature
    const cases = [sigAlg(OID.sha256WithRSAEncryption, der.nullDer()), sigAlg(OID.ecdsaWithSHA1), sigAlg('1.2.3.4')];
    each('ERR_CSR_SIGNATURE', ...cases, sigAlg(OID.ecdsaWithSHA384));
  });

  it('describeSpki and subjectKeyIdentifier on their own', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    assert.deepEqual(describeSpki(spki), { kind: 'rsa', bits: 2048, exponent: 3 });
    assert.equal(subjectKeyIdentifier(spki).length, 20);
    const malformed = (e: unknown): boolean => isAppError(e, 'ERR_DER_MALFORMED');
    assert.throws(() => describeSpki(spki.subarray(1)), malformed);
    const p = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const offCurve = Buffer.from(p);
    xor(offCurve, offCurve.length - 1, 1);
    assert.deepEqual(describeSpki(offCurve), { kind: 'ec', curve: 'P-256' }); // structure only; parseCsr imports the key
    rejects('ERR_CSR_MALFORMED', buildCsr({ spki: offCurve }));
  });

  it('compressed EC points verify (SPKI import fallback)', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const full = key.publicKey.export({ type: 'spki', format: 'der' });
    const point = full.subarray(full.length - 97);
    const compressed = ECDH.convertKey(point, 'secp384r1', undefined, undefined, 'compressed') as Buffer;
    const alg = der.children(full, der.children(full, der.parseDerExact(full))[0]!).map((c) => der.rawOf(full, c));
    const spki = der.seq(der.seq(...alg), der.bitString(compressed));
    const csr = parseCsr(buildCsr({ key, spki }));
    assert.deepEqual([csr.key, csr.spkiDer.length], [{ kind: 'ec', curve: 'P-384' }, spki.length]);
    const bad = Buffer.from(spki);
    xor(bad, bad.length - 49, 1); // 0x02 <-> 0x03: the negated point, valid but not the signer's
    rejects('ERR_CSR_SIGNATURE', buildCsr({ key, spki: bad }));
  });
});
