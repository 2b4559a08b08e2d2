/**
 * SCEP enrollment handlers against a real CA, inventory and onboarding (SQLite, or PostgreSQL
 * with GATEHOUSE_TEST_DB=pg): PKCSReq with the one-time token, idempotent transactionIDs,
 * refused challenges and devices, the approval flow with CertPoll, RenewalReq (RFC 8894 §3.3).
 */
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { encodeName } from '../../../../ca/asn1/index.ts';
import { createScepEnv, type ScepEnv } from './env.ts';
import { csrOf, issuerAndSubject, pkiMessage, readReply, selfSigned, withCert, type Requester, type Reply } from './requester.ts';

let env: ScepEnv;
before(async () => {
  env = await createScepEnv({ allowDesCbc: true });
});
after(() => env.cleanup());

const ctx = { label: undefined, peer: '192.0.2.10' };
let n = 0;
const txid = (): string => `tx-${process.pid}-${++n}-${randomBytes(4).toString('hex')}`;

async function send(type: 17 | 19 | 20, by: Requester, content: Buffer, id = txid(), cipher?: 'des-cbc' | 'aes-256-cbc'): Promise<Reply> {
  const raDer = env.ra.current().certDer;
  const der = await pkiMessage({ raDer, content, type, txid: id, by, ...(cipher ? { cipher } : {}) });
  const r = await env.handlers.pkiOperation(der, ctx);
  assert.equal(r.status, 200, r.body.toString());
  assert.equal(r.contentType, 'application/x-pki-message');
  const reply = await readReply(r.body, by, raDer);
  assert.equal(reply.transactionId, id);
  return reply;
}

/** Enrolls a fresh device with its token; returns the requester (device key) and the cert. */
async function enrolled(id: string): Promise<{ dev: Requester; cert: Buffer; reply: Reply }> {
  const token = await env.addDevice(id);
  const dev = selfSigned();
  const reply = await send(19, dev, csrOf(dev, { challenge: token }));
  assert.equal(reply.status, 'SUCCESS', JSON.stringify(reply));
  return { dev, cert: reply.certs[0]!, reply };
}

describe('PKCSReq with the device one-time token as challengePassword', () => {
  it('issues a certificate named from the inventory, chained to the issuing CA, encrypted to the requester', async () => {
    const { cert, reply } = await enrolled('cam-a1');
    const x = new X509Certificate(cert);
    assert.match(x.subject, /CN=cam-a1/);
    assert.match(x.subject, /OU=cameras/);
    assert.doesNotMatch(x.subject, /asked-by-device/); // names come from the grant, not the CSR
    assert.ok(x.verify(new X509Certificate(env.pki.issuer.record.certDer).publicKey));
    assert.deepEqual(reply.certs[1], env.pki.issuer.record.certDer);
    assert.equal((await env.inventory.get('cam-a1'))?.state, 'enrolled');
  });

  it('a repeated transactionID with the same CSR returns the same certificate', async () => {
    const token = await env.addDevice('cam-a2');
    const dev = selfSigned();
    const csr = csrOf(dev, { challenge: token });
    const id = txid();
    const first = await send(19, dev, csr, id);
    const again = await send(19, selfSigned(dev.key), csr, id); // a retry may bring a new self-signed cert
    assert.equal(first.status, 'SUCCESS');
    assert.equal(again.status, 'SUCCESS');
    assert.deepEqual(again.certs[0], first.certs[0]);
    assert.equal((await env.pki.ca.listCerts({ deviceId: 'cam-a2' })).length, 1);
  });

  it('a different CSR under a known transactionID is FAILURE badRequest', async () => {
    const token = await env.addDevice('cam-a3');
    const dev = selfSigned();
    const id = txid();
    assert.equal((await send(19, dev, csrOf(dev, { challenge: token }), id)).status, 'SUCCESS');
    const other = selfSigned();
    const r = await send(19, other, csrOf(other, { challenge: token }), id);
    assert.deepEqual([r.status, r.failInfo], ['FAILURE', 'badRequest']);
  });

  it('a used (replayed) challenge is FAILURE badRequest, and so is an unknown one', async () => {
    const token = await env.addDevice('cam-a5');
    const a = selfSigned();
    assert.equal((await send(19, a, csrOf(a, { challenge: token }))).status, 'SUCCESS');
    const thief = selfSigned();
    const replay = await send(19, thief, csrOf(thief, { challenge: token }));
    assert.deepEqual([replay.status, replay.failInfo, replay.failInfoText], ['FAILURE', 'badRequest', 'challenge password rejected']);
    const random = await send(19, thief, csrOf(thief, { challenge: randomBytes(24).toString('hex') }));
    assert.deepEqual([random.status, random.failInfo], ['FAILURE', 'badRequest']);
  });

  it('a retired device is refused: its token dies with it, its certificate cannot renew', async () => {
    const token = await env.addDevice('cam-a6');
    const { dev, cert } = await enrolled('cam-a7');
    await env.onboarding.retire('cam-a6', 'test');
    await env.onboarding.retire('cam-a7', 'test');
    const a = selfSigned();
    const r1 = await send(19, a, csrOf(a, { challenge: token }));
    assert.deepEqual([r1.status, r1.failInfo], ['FAILURE', 'badRequest']);
    const r2 = await send(17, withCert(dev.key, cert), csrOf(dev, { subject: {} }));
    assert.equal(r2.status, 'FAILURE');
  });

  it('a PKCSReq signed by a certificate that is not self-signed is refused', async () => {
    const { dev, cert } = await enrolled('cam-a8');
    const r = await send(19, withCert(dev.key, cert), csrOf(dev, { challenge: await env.onboarding.createToken('cam-a8', 't').then((x) => x.token) }));
    assert.deepEqual([r.status, r.failInfo], ['FAILURE', 'badRequest']);
  });

  it('a CSR whose proof-of-possession signature is broken is FAILURE badMessageCheck', async () => {
    const token = await env.addDevice('cam-a9');
    const dev = selfSigned();
    const csr = csrOf(dev, { challenge: token });
    csr[csr.length - 1]! ^= 0x01;
    const r = await send(19, dev, csr);
    assert.deepEqual([r.status, r.failInfo], ['FAILURE', 'badMessageCheck']);
  });

  it('single DES (allowDesCbc) is accepted and answered with DES-EDE3, never single DES', async () => {
    const token = await env.addDevice('cam-a10');
    const dev = selfSigned();
    const r = await send(19, dev, csrOf(dev, { challenge: token }), txid(), 'des-cbc');
    assert.equal(r.status, 'SUCCESS');
    assert.equal(r.contentEncryption, 'des-ede3-cbc');
  });
});

describe('approval flow and CertPoll (RFC 8894 §3.3.3)', () => {
  it('no challenge -> PENDING; polls stay PENDING until an admin approves, then SUCCESS', async () => {
    await env.inventory.addDevice({ id: 'cam-p1', name: 'p1', function: 'camera', owner: 'o', segment: 'cameras' }, 'test');
    const dev = selfSigned();
    const id = txid();
    const csr = csrOf(dev);
    assert.equal((await send(19, dev, csr, id)).status, 'PENDING');
    const poll = issuerAndSubject(env.pki.issuer.nameDer, encodeName({ commonName: 'asked-by-device' }));
    assert.equal((await send(20, dev, poll, id)).status, 'PENDING');
    assert.equal((await send(19, dev, csr, id)).status, 'PENDING'); // a resent PKCSReq too
    const [req] = (await env.onboarding.listRequests('pending')).filter((r) => r.csr_der.equals(csr));
    await env.onboarding.decideRequest(req!.id, 'approved', 'cam-p1', 'admin:alice');
    const done = await send(20, dev, poll, id);
    assert.equal(done.status, 'SUCCESS');
    assert.match(new X509Certificate(done.certs[0]!).subject, /CN=cam-p1/);
    assert.deepEqual((await send(20, dev, poll, id)).certs[0], done.certs[0]); // polling again: same cert
  });

  it('a rejected request turns the poll into FAILURE', async () => {
    const dev = selfSigned();
    const id = txid();
    const csr = csrOf(dev, { subject: { commonName: 'stranger' } });
    assert.equal((await send(19, dev, csr, id)).status, 'PENDING');
    const [req] = (await env.onboarding.listRequests('pending')).filter((r) => r.csr_der.equals(csr));
    await env.onboarding.decideRequest(req!.id, 'rejected', null, 'admin:alice');
    const r = await send(20, dev, issuerAndSubject(env.pki.issuer.nameDer, Buffer.from([0x30, 0])), id);
    assert.deepEqual([r.status, r.failInfo], ['FAILURE', 'badRequest']);
  });

  it('an unknown transactionID, or a poll signed by another key, is FAILURE badCertId', async () => {
    const dev = selfSigned();
    const poll = issuerAndSubject(env.pki.issuer.nameDer, Buffer.from([0x30, 0]));
    const r = await send(20, dev, poll, 'never-seen-' + randomBytes(4).toString('hex'));
    assert.deepEqual([r.status, r.failInfo], ['FAILURE', 'badCertId']);
    const id = txid();
    assert.equal((await send(19, dev, csrOf(dev), id)).status, 'PENDING');
    const other = await send(20, selfSigned(), poll, id);
    assert.deepEqual([other.status, other.failInfo], ['FAILURE', 'badCertId']);
  });
});

describe('RenewalReq (RFC 8894 §3.3.1.2)', () => {
  it('signed by the current certificate: a new certificate for the same device', async () => {
    const { dev, cert } = await enrolled('cam-r1');
    const current = withCert(dev.key, cert);
    const r = await send(17, current, csrOf(dev, { subject: {} })); // same key, same transactionID scheme
    assert.equal(r.status, 'SUCCESS');
    assert.notEqual(new X509Certificate(r.certs[0]!).serialNumber, new X509Certificate(cert).serialNumber);
    assert.match(new X509Certificate(r.certs[0]!).subject, /CN=cam-r1/);
  });

  it('signed by a self-signed or a revoked certificate: FAILURE', async () => {
    const { dev, cert } = await enrolled('cam-r2');
    const foreign = await send(17, selfSigned(dev.key), csrOf(dev, { subject: {} }));
    assert.deepEqual([foreign.status, foreign.failInfo], ['FAILURE', 'badCertId']);
    await env.pki.ca.revoke(new X509Certificate(cert).serialNumber, 'keyCompromise', { actor: 'test' });
    const revoked = await send(17, withCert(dev.key, cert), csrOf(dev, { subject: {} }));
    assert.deepEqual([revoked.status, revoked.failInfo], ['FAILURE', 'badRequest']);
  });
});
