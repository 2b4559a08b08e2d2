import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { webcrypto, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { encodeName, OID, toPem } from '../../../ca/asn1/index.ts';
import { buildTbs, signatureAlgorithmFor, signCertificate } from '../../../ca/cert-builder.ts';
import { parseCertificate } from '../../../ca/cert-parse.ts';
import { subjectKeyIdentifier } from '../../../ca/csr.ts';
import * as ext from '../../../ca/extensions.ts';
import { newSerial } from '../../../ca/serial.ts';
import { generateKey, SoftwareSigner, type KeyAlgorithm } from '../../../platform/crypto.ts';
import { requireTool } from '../../helpers/tools.ts';

type WebKey = webcrypto.CryptoKey;
type Alg = webcrypto.AlgorithmIdentifier | webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const PEC_ALG: Record<string, Alg & { hash?: string }> = {
  'P-256': { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  'P-384': { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' },
  'RSA-2048': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  Ed25519: { name: 'Ed25519' },
};

async function cryptoKey(key: KeyObject, alg: string): Promise<WebKey> {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, PEC_ALG[alg] as webcrypto.EcKeyImportParams, false, ['sign']);
}

/** Builds the same certificate with our builder and with @peculiar/x509; returns both TBS. */
async function both(issuerAlg: KeyAlgorithm, subjectAlg: KeyAlgorithm, opts: { ocsp?: boolean; emptySubject?: boolean } = {}) {
  const issuerKey = generateKey(issuerAlg);
  const issuer = new SoftwareSigner(issuerKey);
  const subject = new SoftwareSigner(generateKey(subjectAlg));
  const issuerDer = encodeName({ organization: 'Gatehouse Test', commonName: 'Issuing CA' });
  const subjectDer = opts.emptySubject ? encodeName({}) : encodeName({ country: 'FR', organization: 'Acme', commonName: 'dev-1' });
  const serial = newSerial();
  const notBefore = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  const notAfter = new Date(Date.UTC(2051, 5, 6, 7, 8, 9)); // GeneralizedTime from 2050
  const ski = subjectKeyIdentifier(subject.spki);
  const aki = subjectKeyIdentifier(issuer.spki);
  const url = 'http://ca.example.test:8080';
  const sans = { dns: ['dev-1.example.com', '*.dev.example.com'], ip: ['10.0.0.1', '2001:db8::1'], uri: ['urn:dev:1'] };
  const { encodeGeneralNames } = await import('../../../ca/asn1/index.ts');
  const ours: ext.CertExtension[] = [
    ext.basicConstraints(false),
    ext.keyUsage(subjectAlg.startsWith('RSA') ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature']),
    ext.extKeyUsage(opts.ocsp ? [OID.kpOCSPSigning] : [OID.kpServerAuth, OID.kpClientAuth]),
    ext.subjectKeyId(ski),
    ext.authorityKeyId(aki),
    ext.subjectAltName(encodeGeneralNames(sans), !!opts.emptySubject),
    ext.crlDistributionPoints([`${url}/crl/abc.crl`]),
    ext.authorityInfoAccess({ ocsp: [`${url}/ocsp`], caIssuers: [`${url}/ca/abc.crt`] }),
  ];
  if (opts.ocsp) ours.push(ext.ocspNoCheck());
  const tbs = buildTbs({ serial: serial.bytes, signatureAlgorithm: signatureAlgorithmFor(issuer.algorithm), issuerDer, notBefore, notAfter, subjectDer, spkiDer: subject.spki, extensions: ours });

  const theirs: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(subjectAlg.startsWith('RSA') ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(opts.ocsp ? [OID.kpOCSPSigning] : [OID.kpServerAuth, OID.kpClientAuth], false),
    new x509.SubjectKeyIdentifierExtension(ski.toString('hex')),
    new x509.AuthorityKeyIdentifierExtension(aki.toString('hex')),
    new x509.SubjectAlternativeNameExtension(
      [
        ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
        ...sans.ip.map((value) => ({ type: 'ip' as const, value })),
        ...sans.uri.map((value) => ({ type: 'url' as const, value })),
      ],
      !!opts.emptySubject,
    ),
    new x509.CRLDistributionPointsExtension([`${url}/crl/abc.crl`]),
    new x509.AuthorityInfoAccessExtension({ ocsp: [`${url}/ocsp`], caIssuers: [`${url}/ca/abc.crt`] }),
  ];
  if (opts.ocsp) theirs.push(new x509.Extension(OID.ocspNoCheck, false, Buffer.from([0x05, 0x00])));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.bytes.toString('hex'),
    issuer: new x509.Name(issuerDer),
    subject: new x509.Name(subjectDer),
    notBefore,
    notAfter,
    publicKey: subject.spki,
    signingKey: (await cryptoKey(issuerKey, issuerAlg)) as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[0] extends { signingKey: infer K } ? K : never,
    signingAlgorithm: PEC_ALG[issuerAlg] as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[0]['signingAlgorithm'],
    extensions: theirs,
  });
  return { ours: tbs, theirs: parseCertificate(Buffer.from(cert.rawData)).tbsDer, issuer, tbs };
}

for (const [issuerAlg, subjectAlg, opts] of [
  ['P-256', 'P-256', {}],
  ['P-384', 'RSA-2048', {}],
  ['RSA-2048', 'P-256', { ocsp: true }],
  ['Ed25519', 'Ed25519', { emptySubject: true }],
] as Array<[KeyAlgorithm, KeyAlgorithm, { ocsp?: boolean; emptySubject?: boolean }]>) {
  test(`TBS is byte-for-byte what @peculiar/x509 encodes: issuer ${issuerAlg}, subject ${subjectAlg} ${JSON.stringify(opts)}`, async () => {
    const { ours, theirs } = await both(issuerAlg, subjectAlg, opts);
    assert.equal(ours.toString('hex'), theirs.toString('hex'));
  });
}

test('signature AlgorithmIdentifiers: ECDSA without params, RSA with NULL, Ed25519 without params', () => {
  assert.equal(signatureAlgorithmFor('P-256').toString('hex'), '300a06082a8648ce3d040302');
  assert.equal(signatureAlgorithmFor('P-384').toString('hex'), '300a06082a8648ce3d040303');
  assert.equal(signatureAlgorithmFor('P-521').toString('hex'), '300a06082a8648ce3d040304');
  assert.equal(signatureAlgorithmFor('RSA-3072').toString('hex'), '300d06092a864886f70d01010b0500');
  assert.equal(signatureAlgorithmFor('Ed25519').toString('hex'), '300506032b6570');
});

test('openssl x509 -text parses every field and extension of a signed certificate', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const dir = mkdtempSync(join(tmpdir(), 'gh-cb-'));
  try {
    for (const [ia, sa, o] of [['P-256', 'P-256', {}], ['RSA-2048', 'RSA-2048', { ocsp: true }], ['P-384', 'Ed25519', { emptySubject: true }]] as Array<[KeyAlgorithm, KeyAlgorithm, object]>) {
      const { tbs, issuer } = await both(ia, sa, o);
      const der = signCertificate(issuer, tbs);
      writeFileSync(join(dir, 'c.pem'), toPem('CERTIFICATE', der));
      const text = execFileSync('openssl', ['x509', '-in', join(dir, 'c.pem'), '-noout', '-text'], { encoding: 'utf8' });
      for (const want of ['Version: 3', 'Basic Constraints: critical', 'CA:FALSE', 'Key Usage: critical', 'Extended Key Usage', 'Subject Key Identifier', 'Authority Key Identifier', 'DNS:dev-1.example.com', 'IP Address:2001:DB8:0:0:0:0:0:1', 'URI:urn:dev:1', 'URI:http://ca.example.test:8080/crl/abc.crl', 'OCSP - URI:http://ca.example.test:8080/ocsp', 'CA Issuers - URI:http://ca.example.test:8080/ca/abc.crt', 'Not After : Jun  6 07:08:09 2051 GMT']) {
        assert.ok(text.includes(want), `${ia}/${sa}: missing ${want}\n${text}`);
      }
      assert.doesNotMatch(text, /unable|error|<Unsupported|Invalid/i);
      // the signature verifies with the issuer key
      const c = parseCertificate(der);
      assert.ok((await import('node:crypto')).verify(issuer.digest, c.tbsDer, issuer.publicKey, c.signature));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
