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
  /** Where lines go (`prettyDestination()` in a terminal); tests pass a stream that records them to assert nothing leaks. Default: stdout. */
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      // `service` is this process everywhere; a downstream service is `downstream`.
      base: { service: 'shop-bff' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Error objects can carry a downstream's response in `cause`; only the safe parts.
      serializers: { err: pino.stdSerializers.err },
    },
    opts.destination,
  );
}

/**
 * Human-readable lines (pino-pretty, in this thread) for a developer's terminal
 * (`config.log.pretty`: a TTY outside production), as `createLogger`'s destination.
 * Loaded only then: production never loads pino-pretty (about 10 MB of RSS and 20 ms of
 * start-up, issue 9). Redaction applies before formatting, so nothing more shows.
 * `output` (tests): where the lines go instead of stdout, without colours.
 */
export async function prettyDestination(output?: NodeJS.WritableStream): Promise<pino.DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({ colorize: output === undefined, sync: true, ...(output ? { destination: output } : {}) });
}

/** The part of a logger a request's code writes with. */
export type RequestLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * `logger.child(bindings)`, made on the first line written: most requests write none
 * (their access line is pino-http's), and a child costs the serialization of its
 * bindings through the redaction paths on every request (issue 9). A plain object, not
 * a getter, because Apollo copies the context object per operation.
 */
export function lazyChild(logger: Logger, bindings: pino.Bindings): RequestLogger {
  let child: Logger | undefined;
  const get = () => (child ??= logger.child(bindings));
  return {
    debug: ((...args: Parameters<pino.LogFn>) => get().debug(...args)) as pino.LogFn,
    info: ((...args: Parameters<pino.LogFn>) => get().info(...args)) as pino.LogFn,
    warn: ((...args: Parameters<pino.LogFn>) => get().warn(...args)) as pino.LogFn,
    error: ((...args: Parameters<pino.LogFn>) => get().error(...args)) as pino.LogFn,
  };
}
