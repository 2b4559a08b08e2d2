/**
 * A software FIDO2 authenticator for the WebAuthn unit tests: ES256 key, 'none' attestation,
 * a signature counter, and knobs to produce what a hostile or broken client would send (other
 * origin, other RP ID, reused counter, missing user verification).
 *
 * Rules (WebAuthn L2 §6.1 authenticator data, §6.5.2 attested credential data, RFC 8152 COSE
 * EC2 key, RFC 8949 CBOR) are implemented only as far as these tests need.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
}

type Cbor = number | string | Buffer | Map<Cbor, Cbor>;

function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  const parts = [head(5, v.size)];
  for (const [k, x] of v) parts.push(cbor(k), cbor(x));
  return Buffer.concat(parts);
}

const b64u = (b: Buffer) => b.toString('base64url');

export interface Overrides {
  origin?: string;
  rpId?: string;
  challenge?: string;
  counter?: number;
  userVerified?: boolean;
  type?: string;
}

export class SoftAuthenticator {
  readonly key: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  readonly credId = randomBytes(32);
  counter = 0;

  constructor(
    private readonly rpId: string,
    private readonly origin: string,
  ) {}

  private clientData(type: string, challenge: string, o: Overrides): Buffer {
    return Buffer.from(JSON.stringify({ type: o.type ?? type, challenge: o.challenge ?? challenge, origin: o.origin ?? this.origin, crossOrigin: false }));
  }

  private flags(o: Overrides, attested: boolean): number {
    return 0x01 | (o.userVerified === false ? 0 : 0x04) | (attested ? 0x40 : 0);
  }

  private counterBytes(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  }

  register(challenge: string, o: Overrides = {}): unknown {
    const jwk = this.key.export({ format: 'jwk' });
    const cose = new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(this.credId.length);
    const authData = Buffer.concat([createHash('sha256').update(o.rpId ?? this.rpId).digest(), Buffer.from([this.flags(o, true)]), this.counterBytes(this.counter), Buffer.alloc(16), len, this.credId, cbor(cose)]);
    const att = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    return { id: b64u(this.credId), rawId: b64u(this.credId), type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: b64u(this.clientData('webauthn.create', challenge, o)), attestationObject: b64u(att), transports: ['usb'] } };
  }

  assert(challenge: string, o: Overrides = {}): unknown {
    if (o.counter === undefined) this.counter++;
    const authData = Buffer.concat([createHash('sha256').update(o.rpId ?? this.rpId).digest(), Buffer.from([this.flags(o, false)]), this.counterBytes(o.counter ?? this.counter)]);
    const clientData = this.clientData('webauthn.get', challenge, o);
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), this.key);
    return { id: b64u(this.credId), rawId: b64u(this.credId), type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: b64u(clientData), authenticatorData: b64u(authData), signature: b64u(signature) } };
  }
}
