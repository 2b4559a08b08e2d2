/**
 * Structured logs (pino) with secret redaction.
 * Rules: secrets never reach a log line — Secret objects serialise as "[secret ...]" and the
 * redact paths below catch the usual field names (passwords, tokens, keys, authorization).
 */
import pino, { type Logger } from 'pino';

export type { Logger };

const REDACT = [
  '*.password',
  '*.passphrase',
  '*.secret',
  '*.token',
  '*.privateKey',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'password',
  'passphrase',
  'secret',
  'token',
];

export function createLogger(opts: { level: string; nodeId?: string; destination?: NodeJS.WritableStream } = { level: 'info' }): Logger {
  return pino(
    {
      level: opts.level,
      base: opts.nodeId ? { node: opts.nodeId } : undefined,
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (opts.destination as pino.DestinationStream | undefined) ?? pino.destination(2),
  );
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
