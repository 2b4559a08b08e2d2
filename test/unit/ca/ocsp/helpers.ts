/**
 * Test helpers for ca/ocsp: an OCSP request builder (RFC 6960 §4.1) on the DER writer, an
 * independent OCSPResponse reader on the DER reader, and a fake CertificateAuthority whose
 * status answers, failures and issuance the tests control.
 */
import { createHash, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { generateKey, SoftwareSigner } from '../../../../platform/crypto.ts';
import * as der from '../../../../ca/asn1/index.ts';
import { OID, type Tlv } from '../../../../ca/asn1/index.ts';
import { parseCsr } from '../../../../ca/csr.ts';
import type { CertStatus, Grant, IssuedCert, LoadedIssuer } from '../../../../ca/types.ts';
import { publicKeyHash } from '../../../../ca/ocsp/response.ts';

const HASH_OID = { sha1: OID.sha1, sha256: OID.sha256, sha384: OID.sha384 } as const;
type Alg = keyof typeof HASH_OID;

export interface CertIdSpec {
  hashAlg?: Alg;
  nameHash: Buffer;
  keyHash: Buffer;
  serial: bigint | number;
  paramsAbsent?: boolean;
}

export function certIdDer(s: CertIdSpec): Buffer {
  const alg = s.hashAlg ?? 'sha1';
  const algId = s.paramsAbsent ? der.seq(der.oid(HASH_OID[alg])) : der.seq(der.oid(HASH_OID[alg]), der.nullDer());
  return der.seq(algId, der.octetString(s.nameHash), der.octetString(s.keyHash), der.integer(BigInt(s.serial)));
}

export const extension = (oid: string, value: Buffer, critical = false): Buffer =>
  der.seq(der.oid(oid), ...(critical ? [der.bool(true)] : []), der.octetString(value));

export interface RequestSpec {
  certIds: CertIdSpec[];
  nonce?: Buffer | null;
  /** Raw extnValue for the nonce extension (overrides `nonce`). */
  nonceRaw?: Buffer;
  version?: number;
  requestorName?: boolean;
  extensions?: Buffer[];
  singleExtensions?: Buffer[];
  signed?: boolean;
}

export function buildRequest(r: RequestSpec): Buffer {
  const reqs = r.certIds.map((c) =>
    der.seq(certIdDer(c), ...(r.singleExtensions ? [der.explicit(0, der.seq(...r.singleExtensions))] : [])),
  );
  const exts = [...(r.extensions ?? [])];
  if (r.nonceRaw) exts.push(extension(OID.ocspNonce, r.nonceRaw));
  else if (r.nonce) exts.push(extension(OID.ocspNonce, der.octetString(r.nonce)));
  const tbs = der.seq(
    ...(r.version !== undefined ? [der.explicit(0, der.integer(r.version))] : []),
    ...(r.requestorName ? [der.explicit(1, der.contextPrimitive(2, Buffer.from('client.example')))] : []),
    der.seq(...reqs),
    ...(exts.length ? [der.explicit(2, der.seq(...exts))] : []),
  );
  if (!r.signed) return der.seq(tbs);
  const sig = der.seq(der.seq(der.oid(OID.ecdsaWithSHA256)), der.bitString(Buffer.alloc(70, 1)));
  return der.seq(tbs, der.explicit(0, sig));
}

export interface ParsedSingle {
  certIdDer: Buffer;
  kind: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: number;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface ParsedResponse {
  status: number;
  responderKeyHash?: Buffer;
  producedAt?: Date;
  singles: ParsedSingle[];
  nonceExtnValue?: Buffer;
  sigAlg?: string;
  tbs?: Buffer;
  signature?: Buffer;
  certs: Buffer[];
}

/** Reads an OCSPResponse independently of ca/ocsp/response.ts (strict DER throughout). */
export function parseResponse(buf: Buffer): ParsedResponse {
  const [st, rb] = der.children(buf, der.parseDerExact(buf), 0x30) as [Tlv, Tlv | undefined];
  if (st.id !== 0x0a) der.fail('responseStatus');
  const status = der.readSmallInt(buf, st);
  if (!rb) return { status, singles: [], certs: [] };
  const [rbSeq] = der.children(buf, rb, 0xa0) as [Tlv];
  const [typeT, octT] = der.children(buf, rbSeq, 0x30) as [Tlv, Tlv];
  if (der.readOid(buf, typeT) !== OID.ocspBasic) der.fail('responseType');
  const b = der.readOctetString(buf, octT);
  const [tbsT, algT, sigT, certsT] = der.children(b, der.parseDerExact(b), 0x30) as [Tlv, Tlv, Tlv, Tlv | undefined];
  const f = der.children(b, tbsT, 0x30);
  if (f[0]?.id === 0xa0) der.fail('version must be omitted (DER DEFAULT)');
  const [ridT, prodT, respT, extT] = f as [Tlv, Tlv, Tlv, Tlv | undefined];
  if (ridT.id !== 0xa2) der.fail('responderID byKey');
  const out: ParsedResponse = {
    status,
    responderKeyHash: der.readOctetString(b, der.children(b, ridT)[0] as Tlv),
    producedAt: der.readTime(b, prodT),
    singles: der.children(b, respT, 0x30).map((s) => single(b, s)),
    sigAlg: der.readOid(b, der.children(b, algT, 0x30)[0] as Tlv),
    tbs: der.rawOf(b, tbsT),
    signature: der.readBitString(b, sigT).bytes,
    certs: certsT ? der.children(b, der.children(b, certsT, 0xa0)[0] as Tlv, 0x30).map((c) => der.rawOf(b, c)) : [],
  };
  if (extT) {
    const [exts] = der.children(b, extT, 0xa1) as [Tlv];
    for (const e of der.children(b, exts, 0x30)) {
      const [o, v] = der.children(b, e, 0x30) as [Tlv, Tlv];
      if (der.readOid(b, o) === OID.ocspNonce) out.nonceExtnValue = der.readOctetString(b, v);
    }
  }
  return out;
}

function single(b: Buffer, s: Tlv): ParsedSingle {
  const [idT, stT, thisT, nextT] = der.children(b, s, 0x30) as [Tlv, Tlv, Tlv, Tlv | undefined];
  const out: ParsedSingle = { certIdDer: der.rawOf(b, idT), kind: 'good', thisUpdate: der.readTime(b, thisT) };
  if (thisT.id !== 0x18) der.fail('thisUpdate must be GeneralizedTime');
  if (nextT) out.nextUpdate = der.readTime(b, der.children(b, nextT, 0xa0)[0] as Tlv);
  if (stT.id === 0x80 && stT.len === 0) out.kind = 'good';
  else if (stT.id === 0x82 && stT.len === 0) out.kind = 'unknown';
  else if (stT.id === 0xa1) {
    out.kind = 'revoked';
    const [t, r] = der.children(b, stT) as [Tlv, Tlv | undefined];
    out.revokedAt = der.readTime(b, t);
    if (r) out.reason = der.readSmallInt(b, der.children(b, r, 0xa0)[0] as Tlv);
  } else der.fail('certStatus');
  return out;
}

/** Verifies the BasicOCSPResponse signature with `publicKey`. */
export function signatureValid(r: ParsedResponse, publicKey: KeyObject): boolean {
  return verify('sha256', r.tbs as Buffer, publicKey, r.signature as Buffer);
}

export function fakeIssuer(id: string, cn = `Test Issuing CA ${id}`): LoadedIssuer {
  const signer = new SoftwareSigner(generateKey('P-256'));
  const nameDer = der.encodeName({ commonName: cn });
  const h = (alg: string, b: Buffer) => createHash(alg).update(b).digest();
  const now = Date.now();
  return {
    record: {
      id,
      subject: `CN=${cn}`,
      certDer: Buffer.alloc(0),
      chainDer: [],
      ski: publicKeyHash(signer.spki),
      keyAlgorithm: 'P-256',
      keyFile: '',
      status: 'active',
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 365 * 86_400_000),
    },
    signer,
    nameDer,
    nameHash: { sha1: h('sha1', nameDer), sha256: h('sha256', nameDer) },
    keyHash: { sha1: publicKeyHash(signer.spki, 'sha1'), sha256: publicKeyHash(signer.spki, 'sha256') },
  };
}

export const idFor = (iss: LoadedIssuer, serial: bigint | number, hashAlg: 'sha1' | 'sha256' = 'sha1'): CertIdSpec => ({
  hashAlg,
  nameHash: iss.nameHash[hashAlg],
  keyHash: iss.keyHash[hashAlg],
  serial,
});

/** A CertificateAuthority double: statuses by `${issuerId}:${serialHex}`, switchable failures. */
export class FakeCa {
  readonly statuses = new Map<string, CertStatus>();
  statusCalls = 0;
  fail: unknown = null;
  /** When set, status() waits for this promise before answering. */
  gate: Promise<void> | null = null;
  readonly grants: Grant[] = [];
  responderValidityMs = 30 * 86_400_000;
  lastResponderKey: KeyObject | null = null;
  failIssue: unknown = null;
  constructor(public list: LoadedIssuer[]) {}

  issuers(): readonly LoadedIssuer[] {
    return this.list;
  }

  setStatus(issuerId: string, serial: bigint | number, st: CertStatus): void {
    this.statuses.set(`${issuerId}:${BigInt(serial).toString(16)}`, st);
  }

  async status(issuerId: string, serial: string): Promise<CertStatus> {
    this.statusCalls++;
    if (this.gate) await this.gate;
    if (this.fail) throw this.fail;
    return this.statuses.get(`${issuerId}:${serial}`) ?? { state: 'unknown' };
  }

  async issue(csrDer: Buffer, grant: Grant): Promise<IssuedCert> {
    if (this.failIssue) throw this.failIssue;
    const csr = parseCsr(csrDer); // the responder's CSR must be a valid, self-signed PKCS#10
    this.grants.push(grant);
    this.lastResponderKey = createPublicKey({ key: csr.spkiDer, format: 'der', type: 'spki' });
    const now = Date.now();
    return {
      issuerId: grant.issuerId as string,
      serial: String(this.grants.length),
      der: der.seq(der.integer(this.grants.length), csr.spkiDer), // stands in for a certificate
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + this.responderValidityMs),
      profile: grant.profile,
      chain: [],
    };
  }
}

export const good = (): CertStatus => ({ state: 'good', record: {} as never });
export const revoked = (reason: 'keyCompromise' | 'unspecified' | 'certificateHold', at: Date): CertStatus => ({
  state: 'revoked',
  revokedAt: at,
  reason,
  record: {} as never,
});

export const otherKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
