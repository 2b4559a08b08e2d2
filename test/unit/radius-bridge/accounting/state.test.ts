/**
 * The accounting state machine (RFC 2866): Start / Interim-Update / Stop / Accounting-On/Off over
 * an in-memory session table, including lost Starts, unknown Stops and invalid requests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACCT_STATUS,
  accountingAction,
  type AcctFacts,
  type LiveSession,
} from '../../../../radius-bridge/accounting/state.ts';

const facts = (status: number | undefined, extra: Partial<AcctFacts> = {}): AcctFacts => ({
  status,
  acctSessionId: 'S1',
  nasName: 'sw1',
  nasAddress: '10.0.0.1',
  nasIp: '10.0.0.1',
  nasIdentifier: null,
  nasPort: 7,
  nasPortId: 'Gi1/0/7',
  mac: '02:00:00:00:00:01',
  callingStationId: '02-00-00-00-00-01',
  userName: 'dev-1',
  deviceId: 'dev-1',
  delaySeconds: 0,
  sessionTime: 0,
  inputOctets: 0,
  outputOctets: 0,
  ...extra,
});

/** Applies actions to a Map the way the store does. */
function machine() {
  const table = new Map<string, LiveSession>();
  const key = (n: string, s: string) => `${n}|${s}`;
  return {
    table,
    apply(f: AcctFacts, now: number) {
      const prev = f.acctSessionId ? (table.get(key(f.nasName, f.acctSessionId)) ?? null) : null;
      const a = accountingAction(f, prev, 'node-a', now);
      if (a.op === 'upsert') table.set(key(a.session.nasName, a.session.acctSessionId), a.session);
      if (a.op === 'stop') table.delete(key(a.nasName, a.acctSessionId));
      if (a.op === 'clear-nas') for (const [k, s] of table) if (s.nasName === a.nasName) table.delete(k);
      return a;
    },
  };
}

describe('accounting state machine', () => {
  it('Start opens, Interim keeps the start time and updates counters, Stop closes', () => {
    const m = machine();
    const a = m.apply(facts(ACCT_STATUS.start, { delaySeconds: 2 }), 100_000);
    assert.equal(a.op, 'upsert');
    assert.equal(a.op === 'upsert' && a.opened, true);
    assert.equal(m.table.get('sw1|S1')?.startedAt, 98_000, 'Acct-Delay-Time moves the start back');
    m.apply(facts(ACCT_STATUS.interim, { sessionTime: 60, inputOctets: 5 + 2 ** 32 }), 160_000);
    const s = m.table.get('sw1|S1')!;
    assert.equal(s.startedAt, 98_000);
    assert.equal(s.updatedAt, 160_000);
    assert.equal(s.inputOctets, 5 + 2 ** 32);
    assert.equal(s.nodeId, 'node-a');
    assert.deepEqual(m.apply(facts(ACCT_STATUS.stop), 200_000), { op: 'stop', nasName: 'sw1', acctSessionId: 'S1' });
    assert.equal(m.table.size, 0);
  });

  it('an Interim-Update without a Start opens the session with an estimated start', () => {
    const m = machine();
    const a = m.apply(facts(ACCT_STATUS.interim, { sessionTime: 30 }), 100_000);
    assert.equal(a.op === 'upsert' && a.opened, true);
    assert.equal(m.table.get('sw1|S1')?.startedAt, 70_000);
  });

  it('keeps known identity fields when a later record lacks them', () => {
    const m = machine();
    m.apply(facts(ACCT_STATUS.start), 1);
    m.apply(facts(ACCT_STATUS.interim, { mac: null, callingStationId: null, userName: null, deviceId: null }), 2);
    const s = m.table.get('sw1|S1')!;
    assert.equal(s.mac, '02:00:00:00:00:01');
    assert.equal(s.deviceId, 'dev-1');
  });

  it('Stop for an unknown session is harmless; Accounting-On/Off clear only that NAS', () => {
    const m = machine();
    assert.equal(m.apply(facts(ACCT_STATUS.stop, { acctSessionId: 'nope' }), 1).op, 'stop');
    m.apply(facts(ACCT_STATUS.start, { acctSessionId: 'A' }), 1);
    m.apply(facts(ACCT_STATUS.start, { acctSessionId: 'B' }), 1);
    m.apply(facts(ACCT_STATUS.start, { acctSessionId: 'C', nasName: 'sw2' }), 1);
    assert.deepEqual(m.apply(facts(ACCT_STATUS.on, { acctSessionId: undefined }), 2), {
      op: 'clear-nas',
      nasName: 'sw1',
    });
    assert.deepEqual([...m.table.keys()], ['sw2|C']);
    m.apply(facts(ACCT_STATUS.off, { nasName: 'sw2' }), 3);
    assert.equal(m.table.size, 0);
  });

  it('invalid requests are neither recorded nor answered', () => {
    const m = machine();
    assert.deepEqual(m.apply(facts(ACCT_STATUS.start, { acctSessionId: undefined }), 1), {
      op: 'invalid',
      reason: 'no-acct-session-id',
    });
    assert.deepEqual(m.apply(facts(undefined), 1), { op: 'invalid', reason: 'unknown-status-type' });
    assert.deepEqual(m.apply(facts(9), 1), { op: 'invalid', reason: 'unknown-status-type' });
    assert.equal(m.table.size, 0);
  });
});
