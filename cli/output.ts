/**
 * CLI output and exit codes. Every command supports --json (machine output on stdout, one JSON
 * document); human output otherwise. Errors go to stderr as `gatehouse: CODE: message`.
 * Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 verification failed, 5 store busy/unavailable.
 */
import { isAppError } from '../platform/errors.ts';

export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3, verifyFailed: 4, unavailable: 5 } as const;

export interface Out {
  json: boolean;
  print(human: string, data?: unknown): void;
}

export function makeOut(json: boolean): Out {
  return {
    json,
    print(human, data) {
      if (json) process.stdout.write(JSON.stringify(data ?? { message: human }, jsonReplacer, 2) + '\n');
      else process.stdout.write(human.endsWith('\n') ? human : human + '\n');
    },
  };
}

function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return undefined;
  return v;
}

export function exitCodeFor(e: unknown): number {
  if (isAppError(e)) {
    if (e.code === 'ERR_NOT_FOUND' || e.code === 'ERR_CERT_UNKNOWN' || e.code === 'ERR_DEVICE_UNKNOWN') return EXIT.notFound;
    if (e.code === 'ERR_AUDIT_CHAIN') return EXIT.verifyFailed;
    if (e.code.startsWith('ERR_STORE_')) return EXIT.unavailable;
    if (e.code === 'ERR_CONFIG' || e.code === 'ERR_BAD_INPUT') return EXIT.usage;
  }
  return EXIT.error;
}

export function reportError(e: unknown, json: boolean): number {
  const code = exitCodeFor(e);
  if (json) {
    const body = isAppError(e) ? { error: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) } : { error: 'ERR_INTERNAL', message: String((e as Error)?.message ?? e) };
    process.stdout.write(JSON.stringify(body) + '\n');
  } else {
    process.stderr.write(`gatehouse: ${isAppError(e) ? `${e.code}: ${e.message}` : String((e as Error)?.stack ?? e)}\n`);
  }
  return code;
}
