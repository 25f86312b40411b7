import type { ServiceName } from '../config/index.js';

/**
 * What went wrong with a downstream call, in terms the GraphQL layer can map to a public
 * error code. Deliberately carries no response body, URL or header: those must never
 * reach a client, and an error object is easy to leak.
 *
 * - `unavailable`: 5xx, timeout, reset, invalid JSON, circuit open, or our own
 *   credential was refused (401/403: the client cannot fix our keys).
 * - `not_found`: 404 on a single object.
 * - `bad_input`: 422 / 400 on something the user sent; `field` names it where known.
 */
export type DownstreamFailure = 'unavailable' | 'not_found' | 'bad_input';

export class DownstreamError extends Error {
  constructor(
    readonly service: ServiceName,
    readonly failure: DownstreamFailure,
    /** Safe, generic text; for `bad_input` the downstream's own message about the input. */
    message: string,
    readonly details: {
      /** HTTP status, when there was a response. */
      readonly status?: number;
      /** Whether trying again later may succeed (5xx, timeout, circuit open). */
      readonly retryable?: boolean;
      /** For `bad_input`: the offending input field. */
      readonly field?: string;
      /**
       * The service's `Retry-After` (503, 429), in milliseconds: the retry policy waits at
       * least this long, or does not retry when it is longer than it may wait.
       */
      readonly retryAfterMs?: number;
      /** Internal cause, for logs only. */
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'DownstreamError';
  }
}
