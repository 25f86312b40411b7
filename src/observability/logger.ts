import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/index.js';

export type { Logger } from 'pino';

/**
 * Paths that may hold a token or secret anywhere in a log object. Redaction is the
 * second line of defence: the first is never putting such values in log objects.
 */
export const REDACT_PATHS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'apiKey',
  'tokens',
  '*.authorization',
  '*.Authorization',
  '*.cookie',
  '*.Cookie',
  '*["set-cookie"]',
  '*["x-api-key"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.client_secret',
  '*.apiKey',
  '*.tokens',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; tests pass a stream that records them to assert nothing leaks. */
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'shop-bff' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Error objects can carry a downstream's response in `cause`; only the safe parts.
      serializers: { err: pino.stdSerializers.err },
    },
    opts.destination,
  );
}
