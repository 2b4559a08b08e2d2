/**
 * MAB load generator of our own (a separate process: the server never shares its event loop with
 * its load): RADIUS Access-Requests over UDP to one server, `conc` outstanding at a time.
 *
 * Every request is what a switch sends for MAC Authentication Bypass (RFC 3580 §3.21; the MAC in
 * User-Name, User-Password (hidden, RFC 2865 §5.2) and Calling-Station-Id, Service-Type
 * Call-Check, NAS-Port-Type Ethernet), with a fresh random Request Authenticator (so no request is
 * a retransmission the server could answer from its duplicate cache) and Message-Authenticator
 * first (HMAC-MD5, RFC 3579 §3.2; Gatehouse requires it, BlastRADIUS). Each answer is checked:
 * Response Authenticator (MD5, RFC 2865 §3), code Access-Accept, and Tunnel-Private-Group-Id =
 * the expected VLAN (RFC 3580 §3.31, optional tag octet); anything else counts as `bad`.
 * Usage: radload.ts '<json spec>' (see Spec); prints one JSON line (LoadResult-like) at the end.
 */
import { createHash, createHmac, randomFillSync } from 'node:crypto';
import dgram from 'node:dgram';

interface Spec {
  port: number;
  secret: string;
  macs: string[];
  conc: number;
  seconds: number;
  warmupSeconds: number;
  vlan: number;
  timeoutMs?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const secret = Buffer.from(spec.secret);
const conc = Math.min(Math.max(1, spec.conc), 255);
const vlan = Buffer.from(String(spec.vlan));
const timeoutMs = spec.timeoutMs ?? 2000;

let pool = Buffer.alloc(16 * 4096);
let poolOff = pool.length;
function nextAuthenticator(): Buffer {
  if (poolOff >= pool.length) {
    pool = randomFillSync(Buffer.alloc(pool.length));
    poolOff = 0;
  }
  poolOff += 16;
  return pool.subarray(poolOff - 16, poolOff);
}

/** The attributes after Message-Authenticator that do not depend on the authenticator, per MAC. */
const tails = spec.macs.map((mac) => {
  const m = Buffer.from(mac);
  const tlv = (t: number, v: Buffer) => Buffer.concat([Buffer.from([t, v.length + 2]), v]);
  const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  const padded = Buffer.alloc(Math.ceil(m.length / 16) * 16);
  m.copy(padded);
  return { name: tlv(1, m), padded, rest: Buffer.concat([tlv(31, m), tlv(6, u32(10)), tlv(4, Buffer.from([127, 0, 0, 1])), tlv(61, u32(15))]) };
});

function request(id: number, i: number, ra: Buffer): Buffer {
  const t = tails[i % tails.length]!;
  const pwLen = t.padded.length;
  const len = 20 + 18 + t.name.length + 2 + pwLen + t.rest.length;
  const p = Buffer.alloc(len);
  p[0] = 1;
  p[1] = id;
  p.writeUInt16BE(len, 2);
  ra.copy(p, 4);
  p[20] = 80; // Message-Authenticator, zero while signing
  p[21] = 18;
  let off = 38;
  off += t.name.copy(p, off);
  p[off] = 2; // User-Password, hidden: c(i) = p(i) xor MD5(secret + c(i-1)), c(0) = RA
  p[off + 1] = pwLen + 2;
  off += 2;
  let prev = ra;
  for (let b = 0; b < pwLen; b += 16) {
    const h = createHash('md5').update(secret).update(prev).digest();
    for (let j = 0; j < 16; j++) p[off + b + j] = t.padded[b + j]! ^ h[j]!;
    prev = p.subarray(off + b, off + b + 16);
  }
  off += pwLen;
  t.rest.copy(p, off);
  createHmac('md5', secret).update(p).digest().copy(p, 22);
  return p;
}

function check(msg: Buffer, ra: Buffer): 'ok' | 'reject' | 'bad' {
  if (msg.length < 20) return 'bad';
  const len = msg.readUInt16BE(2);
  if (len > msg.length) return 'bad';
  const want = createHash('md5').update(msg.subarray(0, 4)).update(ra).update(msg.subarray(20, len)).update(secret).digest();
  if (!want.equals(msg.subarray(4, 20))) return 'bad';
  if (msg[0] === 3) return 'reject';
  if (msg[0] !== 2) return 'bad';
  for (let off = 20; off + 2 <= len;) {
    const type = msg[off]!;
    const l = msg[off + 1]!;
    if (l < 2) return 'bad';
    if (type === 81) {
      let v = msg.subarray(off + 2, off + l);
      if (v.length && v[0]! <= 0x1f) v = v.subarray(1);
      return v.equals(vlan) ? 'ok' : 'bad';
    }
    off += l;
  }
  return 'bad';
}

interface Flight {
  t0: bigint;
  ra: Buffer;
  timer: NodeJS.Timeout;
}

const sock = dgram.createSocket('udp4');
const inflight = new Map<number, Flight>();
const lat: number[] = [];
const c = { sent: 0, okTotal: 0, ok: 0, rejects: 0, bad: 0, timeouts: 0 };
let nextId = 0;
let seq = 0;
let measuring = false;
let stopping = false;
let tStart = 0n;
let tEnd = 0n;

function sendOne(): void {
  if (stopping) return;
  let id = nextId;
  while (inflight.has(id)) id = (id + 1) & 0xff;
  nextId = (id + 1) & 0xff;
  const ra = Buffer.from(nextAuthenticator());
  const pkt = request(id, seq++, ra);
  const timer = setTimeout(() => {
    inflight.delete(id);
    c.timeouts++;
    after();
  }, timeoutMs);
  inflight.set(id, { t0: process.hrtime.bigint(), ra, timer });
  c.sent++;
  sock.send(pkt, spec.port, '127.0.0.1');
}

function after(): void {
  if (!stopping) sendOne();
  else if (inflight.size === 0) finish();
}

sock.on('message', (msg) => {
  const f = inflight.get(msg[1]!);
  if (!f) return;
  clearTimeout(f.timer);
  inflight.delete(msg[1]!);
  const r = check(msg, f.ra);
  if (r === 'ok') {
    c.okTotal++;
    if (measuring) {
      c.ok++;
      lat.push(Number(process.hrtime.bigint() - f.t0) / 1e6);
    }
  } else if (r === 'reject') c.rejects++;
  else c.bad++;
  after();
});

function finish(): void {
  const secs = Number(tEnd - tStart) / 1e9;
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil(lat.length * p) - 1)]! : NaN);
  const r2 = (x: number) => Math.round(x * 1000) / 1000;
  console.log(JSON.stringify({ rps: Math.round(c.ok / secs), ...c, p50: r2(q(0.5)), p99: r2(q(0.99)), seconds: r2(secs), conc }));
  sock.close();
}

sock.bind(0, '127.0.0.1', () => {
  for (let i = 0; i < conc; i++) sendOne();
  setTimeout(() => {
    measuring = true;
    tStart = process.hrtime.bigint();
    setTimeout(() => {
      measuring = false;
      tEnd = process.hrtime.bigint();
      stopping = true;
      if (inflight.size === 0) finish();
    }, spec.seconds * 1000);
  }, spec.warmupSeconds * 1000);
});
