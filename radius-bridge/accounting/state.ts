/**
 * The accounting state machine (RFC 2866), pure: facts from one Accounting-Request -> what to do
 * with the live-session table.
 *
 * Rules:
 * - Acct-Status-Type (RFC 2866 §5.1): Start (1) opens a session; Interim-Update (3, RFC 2869 §5.1)
 *   refreshes it and opens it when the Start was lost; Stop (2) closes it; Accounting-On (7) and
 *   Accounting-Off (8) mean the NAS (re)booted or is shutting down: all its sessions are gone.
 * - Start, Interim-Update and Stop need Acct-Session-Id (RFC 2866 §5.5); without it (or without a
 *   status type we know) the request is invalid: it is not recorded and not answered (RFC 2866 §4.1:
 *   no Accounting-Response unless recorded).
 * - A session's start time is kept from the first record; without a Start it is estimated from
 *   Acct-Session-Time. Acct-Delay-Time (RFC 2866 §5.2) moves event times back.
 * - Octets are Acct-*-Octets + 2^32 x Acct-*-Gigawords (RFC 2869 §5.1, §5.2).
 */

/** What a NAS reports about a session: the same fields in a request and in the live row. */
interface SessionReport {
  nasName: string;
  nasAddress: string;
  nasIp: string | null;
  nasIdentifier: string | null;
  nasPort: number | null;
  nasPortId: string | null;
  mac: string | null;
  callingStationId: string | null;
  userName: string | null;
  deviceId: string | null;
  sessionTime: number;
  inputOctets: number;
  outputOctets: number;
}

export interface AcctFacts extends SessionReport {
  status: number | undefined;
  acctSessionId: string | undefined;
  delaySeconds: number;
}

export interface LiveSession extends SessionReport {
  acctSessionId: string;
  nodeId: string;
  startedAt: number;
  updatedAt: number;
}

export const ACCT_STATUS = { start: 1, stop: 2, interim: 3, on: 7, off: 8 } as const;

export type AcctAction =
  | { op: 'upsert'; session: LiveSession; opened: boolean }
  | { op: 'stop'; nasName: string; acctSessionId: string }
  | { op: 'clear-nas'; nasName: string }
  | { op: 'invalid'; reason: string };

export function statusName(status: number | undefined): string {
  switch (status) {
    case ACCT_STATUS.start:
      return 'start';
    case ACCT_STATUS.stop:
      return 'stop';
    case ACCT_STATUS.interim:
      return 'interim-update';
    case ACCT_STATUS.on:
      return 'accounting-on';
    case ACCT_STATUS.off:
      return 'accounting-off';
    default:
      return 'other';
  }
}

/** What one Accounting-Request does, given the live session it names (if any). */
export function accountingAction(f: AcctFacts, prev: LiveSession | null, nodeId: string, nowMs: number): AcctAction {
  const at = nowMs - f.delaySeconds * 1000;
  if (f.status === ACCT_STATUS.on || f.status === ACCT_STATUS.off) return { op: 'clear-nas', nasName: f.nasName };
  if (f.status !== ACCT_STATUS.start && f.status !== ACCT_STATUS.stop && f.status !== ACCT_STATUS.interim) {
    return { op: 'invalid', reason: 'unknown-status-type' };
  }
  if (!f.acctSessionId) return { op: 'invalid', reason: 'no-acct-session-id' };
  if (f.status === ACCT_STATUS.stop) return { op: 'stop', nasName: f.nasName, acctSessionId: f.acctSessionId };
  const opened = prev === null;
  const startedAt =
    prev && f.status === ACCT_STATUS.interim
      ? prev.startedAt
      : f.status === ACCT_STATUS.start
        ? at
        : at - f.sessionTime * 1000;
  return {
    op: 'upsert',
    opened,
    session: {
      nasName: f.nasName,
      acctSessionId: f.acctSessionId,
      nasAddress: f.nasAddress,
      nasIp: f.nasIp,
      nasIdentifier: f.nasIdentifier,
      nasPort: f.nasPort,
      nasPortId: f.nasPortId,
      mac: f.mac ?? prev?.mac ?? null,
      callingStationId: f.callingStationId ?? prev?.callingStationId ?? null,
      userName: f.userName ?? prev?.userName ?? null,
      deviceId: f.deviceId ?? prev?.deviceId ?? null,
      nodeId,
      startedAt,
      updatedAt: at,
      inputOctets: f.inputOctets,
      outputOctets: f.outputOctets,
      sessionTime: f.sessionTime,
    },
  };
}
