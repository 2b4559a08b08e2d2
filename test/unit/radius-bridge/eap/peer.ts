/**
 * Test-side EAP-TLS peer (a minimal supplicant): Node's tls.connect over an in-memory Duplex,
 * with its own fragmentation/ACK logic written independently of radius-bridge/eap/fragment.ts,
 * so the engine is not tested against itself.
 */
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { EapTlsEngine, EapStep, EapTlsSession } from '../../../../radius-bridge/eap/index.ts';

class Pipe extends Duplex {
  chunks: Buffer[] = [];
  activity = 0;
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    this.activity++;
    cb();
  }
  takeAll(): Buffer {
    const b = Buffer.concat(this.chunks);
    this.chunks = [];
    return b;
  }
}

async function settle(p: Pipe): Promise<void> {
  let quiet = 0;
  let last = -1;
  while (quiet < 3) {
    quiet = p.activity === last ? quiet + 1 : 0;
    last = p.activity;
    await new Promise<void>((r) => setImmediate(r));
  }
}

function eap(code: number, id: number, body: Buffer): Buffer {
  const head = Buffer.from([code, id, 0, 0]);
  head.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([head, body]);
}

export interface PeerOptions {
  tls: tls.ConnectionOptions;
  /** TLS bytes per fragment the peer sends. */
  fragmentSize?: number;
}

export class EapTlsPeer {
  client: tls.TLSSocket | undefined;
  clientError: Error | undefined;
  keylog: string[] = [];
  /** Every EAP-Request received, in order. */
  requests: Buffer[] = [];
  /** First server flight as reassembled (holds ServerHello). */
  firstServerFlight: Buffer | undefined;
  readonly #pipe = new Pipe();
  readonly #opts: PeerOptions;
  #pending: Buffer[] = [];
  #inbound: Buffer[] = [];
  #inboundTotal = -1;

  constructor(opts: PeerOptions) {
    this.#opts = opts;
  }

  identityResponse(id = 7, identity = 'device@example.test'): Buffer {
    return eap(2, id, Buffer.concat([Buffer.from([1]), Buffer.from(identity)]));
  }

  tlsResponse(id: number, flags: number, data: Buffer = Buffer.alloc(0), total?: number): Buffer {
    const head = total === undefined ? Buffer.from([13, flags]) : Buffer.from([13, flags | 0x80, 0, 0, 0, 0]);
    if (total !== undefined) head.writeUInt32BE(total, 2);
    return eap(2, id, Buffer.concat([head, data]));
  }

  /** Answers one EAP-Request like a supplicant would. */
  async respond(request: Buffer): Promise<Buffer> {
    this.requests.push(request);
    if (request[0] !== 1 || request[4] !== 13)
      throw new Error(`peer: unexpected packet ${request.subarray(0, 6).toString('hex')}`);
    const id = request[1]!;
    const flags = request[5]!;
    const hasL = (flags & 0x80) !== 0;
    const data = request.subarray(hasL ? 10 : 6);
    if (flags & 0x20) return this.#send(id, await this.#startTls());
    if (this.#pending.length) {
      if (data.length) throw new Error('peer: server sent data while we had fragments pending');
      return this.#next(id);
    }
    if (hasL && this.#inboundTotal < 0) this.#inboundTotal = request.readUInt32BE(6);
    this.#inbound.push(Buffer.from(data));
    if (flags & 0x40) return this.tlsResponse(id, 0); // ACK the fragment
    const message = Buffer.concat(this.#inbound);
    if (this.#inboundTotal >= 0 && message.length !== this.#inboundTotal) throw new Error('peer: length mismatch');
    this.#inbound = [];
    this.#inboundTotal = -1;
    this.firstServerFlight ??= message;
    if (message.length) this.#pipe.push(message);
    await settle(this.#pipe);
    return this.#send(id, this.#pipe.takeAll());
  }

  destroy(): void {
    this.client?.destroy();
    this.#pipe.destroy();
  }

  async #startTls(): Promise<Buffer> {
    if (this.client) throw new Error('peer: second Start');
    const client = tls.connect({ ...this.#opts.tls, socket: this.#pipe });
    client.on('error', (e: Error) => {
      this.clientError ??= e;
      this.#pipe.activity++;
    });
    client.on('keylog', (line: Buffer) => this.keylog.push(line.toString('latin1').trim()));
    client.on('secure', () => this.#pipe.activity++);
    this.client = client;
    await settle(this.#pipe);
    return this.#pipe.takeAll();
  }

  #send(id: number, message: Buffer): Buffer {
    if (!message.length) return this.tlsResponse(id, 0);
    const size = this.#opts.fragmentSize ?? 1000;
    for (let i = 0; i < message.length; i += size) this.#pending.push(message.subarray(i, i + size));
    const first = this.#pending.shift()!;
    const more = this.#pending.length > 0;
    return this.tlsResponse(id, more ? 0x40 : 0, first, more ? message.length : undefined);
  }

  #next(id: number): Buffer {
    const frag = this.#pending.shift()!;
    return this.tlsResponse(id, this.#pending.length ? 0x40 : 0, frag);
  }
}

export interface Exchange {
  session: EapTlsSession;
  final: EapStep;
  rounds: number;
}

/** Runs start + every round until a terminal step (or a discard) comes back. */
export async function runExchange(engine: EapTlsEngine, peer: EapTlsPeer, framedMtu?: number): Promise<Exchange> {
  const { session, step: first } = engine.start({ identityResponse: peer.identityResponse(), framedMtu });
  let step = first;
  let rounds = 0;
  while (step.kind === 'challenge') {
    if (++rounds > 500) throw new Error('runaway exchange');
    step = await session.handle(await peer.respond(step.eap));
  }
  return { session, final: step, rounds };
}
