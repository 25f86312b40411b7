import type { Logger } from '../../observability/logger.js';
import type { ServiceHttpOptions } from './service-http.js';
import type { ResponseCacheOptions } from './response-cache.js';

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
  /**
   * Longest time one call may take in ms, its retries included (`<SERVICE>_TIMEOUT_MS`);
   * a shorter per-attempt limit is `http.attemptTimeoutMs`.
   */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Attempt timeout, sockets, retry, breaker, bulkhead and clock; defaults as in `ServiceHttpOptions`. */
  readonly http?: HttpTuning | undefined;
}

/**
 * What a client of a service whose answers are the same for every user (catalog,
 * reviews) takes on top: the ids per batch request and the shared response cache.
 */
export interface SharedAnswerClientOptions extends ClientOptions {
  /** Ids per batch request; longer lists are split and fetched in parallel. Default `100`. */
  readonly maxBatchSize?: number | undefined;
  /**
   * Shared HTTP cache of answers (the same for every user), bounded, honouring the
   * service's `Cache-Control` and revalidating with `ETag` / `Last-Modified`; without
   * such headers nothing is cached. `false` turns it off. Default `{}` (1000 answers,
   * 16 Mi characters).
   */
  readonly cache?: ResponseCacheOptions | false | undefined;
}
