import type { Logger } from '../../observability/logger.js';
import type { ServiceHttpOptions } from './service-http.js';

/**
 * Tuning of the HTTP core that a client passes through unchanged (sockets, resilience,
 * clock). Not the cache: only the clients whose answers are the same for every user
 * offer that, as their own `cache` option.
 */
export type HttpTuning = Omit<ServiceHttpOptions, 'service' | 'baseUrl' | 'timeoutMs' | 'logger' | 'credential' | 'cache'>;

/** What every client's constructor takes besides its credential. */
export interface ClientOptions {
  /** The service's base URL (from configuration, or the demo service's address). */
  readonly baseUrl: string;
  /** Per-attempt timeout in ms (`DOWNSTREAM_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Sockets, retry, breaker, bulkhead and clock; defaults as in `ServiceHttpOptions`. */
  readonly http?: HttpTuning | undefined;
}
