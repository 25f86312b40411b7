import type { Context } from '@opentelemetry/api';
import type { Credential } from '../credential.js';
import type { DownstreamCallBudget } from '../errors.js';
import type { CallBudget } from './resilience.js';

/** What one call to a downstream service is: the options a client passes on, and the request itself. */

export type HttpMethod = 'GET' | 'POST';

/** What every client method accepts as its last argument. */
export interface CallOptions extends CallBudget {
  /** Sent as `x-request-id`, so the service's logs can be joined with ours. */
  readonly requestId?: string | undefined;
  /**
   * The calls the GraphQL request may still make: each call that is not answered by the
   * shared cache takes one, and fails with `DownstreamCallLimitError` when none is left,
   * before it reaches the bulkhead or the breaker. Default: no bound (tests, tools).
   */
  readonly callLimit?: DownstreamCallBudget | undefined;
  /**
   * The GraphQL request's trace context (from the `traceparent` it came with), the parent
   * of the call's span when no span is active (no auto-instrumentation). Default: none.
   */
  readonly trace?: Context | undefined;
}

/** One call to the service. */
export interface HttpCall extends CallOptions {
  readonly method: HttpMethod;
  /**
   * Path and query below the base URL, starting with `/`, every user-supplied part
   * already encoded (`path`, `listValue`, `encodeValue` in `paths.ts`).
   */
  readonly path: string;
  /**
   * The path as a template for metrics and traces, when a segment carries a value
   * (`/v1/payment_intents/{id}`). Default: the path with its query values dropped
   * (`/products?ids=`), see `routeTemplate`.
   */
  readonly route?: string | undefined;
  /** The call's credential; defaults to the service's own. Orders passes the user's token here. */
  readonly credential?: Credential | undefined;
  /** A JSON request body. */
  readonly json?: unknown;
  /** A form request body, already encoded (`formBody`). */
  readonly form?: string | undefined;
  /** Sent as `Idempotency-Key`; it also makes a POST safe to retry. */
  readonly idempotencyKey?: string | undefined;
  /**
   * The path names a collection (a batch or search endpoint), not one object: a 404
   * there means the endpoint is missing (a wrong base URL), so it maps to `unavailable`
   * rather than `not_found`.
   */
  readonly collection?: boolean | undefined;
}
