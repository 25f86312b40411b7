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
      /**
       * The BFF's own limit ended the call (the request's deadline came first), not the
       * service: never retried within this request and never counted by the breaker,
       * although a client trying again later may well succeed (`retryable`).
       */
      readonly ownLimit?: boolean;
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

/**
 * A downstream call the BFF did not make because the GraphQL request had already made
 * as many as it may (`GRAPHQL_MAX_DOWNSTREAM_CALLS`). The request's own doing, not the
 * service's: it is raised before the bulkhead and the breaker, so it never counts toward
 * opening a circuit, and retrying the same operation would end the same way.
 */
export class DownstreamCallLimitError extends Error {
  constructor(
    /** The service the call was meant for. */
    readonly service: ServiceName,
    /** The bound that was reached. */
    readonly limit: number,
  ) {
    super(`This request reached its limit of ${limit} downstream calls`);
    this.name = 'DownstreamCallLimitError';
  }
}

/**
 * The downstream calls one GraphQL request may still make: one per request, created with
 * its context and passed to every call (`CallOptions.callLimit`). A call answered by the
 * shared response cache is not a call. Retries of one call (at most the service's
 * `maxRetries`) count as that one call.
 */
export class DownstreamCallBudget {
  private made = 0;

  constructor(
    /** Calls allowed; a positive whole number (`GRAPHQL_MAX_DOWNSTREAM_CALLS`). */
    readonly limit: number,
  ) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError('the downstream call limit must be a positive whole number');
  }

  /** Counts one call to `service`, or throws `DownstreamCallLimitError` when none is left. */
  take(service: ServiceName): void {
    if (this.made >= this.limit) throw new DownstreamCallLimitError(service, this.limit);
    this.made += 1;
  }

  /** Calls made so far. */
  get used(): number {
    return this.made;
  }
}
