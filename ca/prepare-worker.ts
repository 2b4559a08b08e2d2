/**
 * Worker thread entry for ca/prepare-pool.ts: runs prepareIssuance() (CSR parse + PoP verify,
 * profile, serial, TBS build, lint) and bare CSR verifications off the main thread. Holds no key and touches no store.
 *
 * Rules enforced:
 * - Buffers arrive as Uint8Array (structured clone) and are re-wrapped without copying; the
 *   resolved profiles arrive once as workerData, each job names its profile.
 * - Every failure goes back as { code, message, detail } of an AppError (anything else as
 *   ERR_INTERNAL, without its text), so the main thread rethrows the same stable code.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError, isAppError } from '../platform/errors.ts';
import { parseCsr } from './csr.ts';
import { compactViews } from './prepare-pool.ts';
import { prepareIssuance, type PrepareInput } from './prepare.ts';
import type { Profile } from './profiles/index.ts';

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** An issuance's pure step, or (csrDer only) a CSR verification for verifyCsr(). */
type Job = { id: number; profile: string; input: Omit<PrepareInput, 'profile'> } | { id: number; csrDer: Uint8Array };

const profiles = new Map(((workerData as { profiles: Profile[] }).profiles ?? []).map((p) => [p.name, p]));

function perform(job: Job): Promise<unknown> {
  if ('csrDer' in job) {
    const der = buf(job.csrDer);
    return Promise.resolve().then(() => parseCsr(der));
  }
  const i = job.input;
  const profile = profiles.get(job.profile);
  const input = { ...i, profile, csrDer: buf(i.csrDer), issuer: { ...i.issuer, nameDer: buf(i.issuer.nameDer), ski: buf(i.issuer.ski) } };
  return profile ? prepareIssuance(input as PrepareInput) : Promise.reject(new AppError('ERR_PROFILE_UNKNOWN', 'unknown certificate profile'));
}

parentPort?.on('message', (job: Job) => {
  perform(job).then(
    (value) => parentPort?.postMessage({ id: job.id, ok: true, value: compactViews(value) }),
    (e: unknown) => {
      const error = isAppError(e) ? { code: e.code, message: e.message, detail: e.detail } : { code: 'ERR_INTERNAL', message: 'internal error' };
      parentPort?.postMessage({ id: job.id, ok: false, error });
    },
  );
});
