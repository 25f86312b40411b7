import type { ServiceName } from '../../config/index.js';
import { DownstreamError } from '../errors.js';

/**
 * The one mapping from what happened on the wire to a `DownstreamError`. Messages are
 * generic on purpose: a response body, URL or header never goes into an error (an error
 * object travels far and is easy to leak). The only downstream text passed on is a
 * 400/422's `error.message`, because it describes the user's own input.
 */

/** Longest downstream message passed on for `bad_input`; the rest is cut. */
const MAX_INPUT_MESSAGE_LENGTH = 300;

const unavailable = (service: ServiceName, message: string, details: DownstreamError['details']) =>
  new DownstreamError(service, 'unavailable', message, details);

/**
 * A non-2xx answer. `errorBody` is the parsed JSON body where there was one (only read
 * for 400/422), `retryAfterMs` the parsed `Retry-After`.
 */
export function statusError(
  service: ServiceName,
  status: number,
  errorBody: unknown,
  retryAfterMs: number | undefined,
): DownstreamError {
  if (status === 404) return new DownstreamError(service, 'not_found', `Not found in ${service}`, { status });
  if (status === 400 || status === 422) {
    const { message, field } = readErrorBody(errorBody);
    return new DownstreamError(service, 'bad_input', message ?? `The ${service} service rejected the input`, {
      status,
      ...(field === undefined ? {} : { field }),
    });
  }
  // 408 and 429 say "not now" about the request itself: the only 4xx worth retrying.
  if (status === 408 || status === 429 || status >= 500) {
    return unavailable(service, `The ${service} service is unavailable`, {
      status,
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  // 401/403 (our credential was refused), redirects (never followed: they could carry a
  // credential to another host) and other 4xx (a bug on our side): retrying won't help.
  return unavailable(service, `The ${service} service is unavailable`, { status, retryable: false });
}

/** The contract's error body `{"error": {"code", "message"}}`; `field` (or Stripe's `param`) when present. */
function readErrorBody(body: unknown): { message?: string; field?: string } {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  if (typeof error !== 'object' || error === null) return {};
  const { message, field, param } = error as Record<string, unknown>;
  const out: { message?: string; field?: string } = {};
  if (typeof message === 'string' && message.trim() !== '') {
    out.message = message.length > MAX_INPUT_MESSAGE_LENGTH ? `${message.slice(0, MAX_INPUT_MESSAGE_LENGTH)}…` : message;
  }
  const name = typeof field === 'string' ? field : typeof param === 'string' ? param : undefined;
  if (name !== undefined && name !== '') out.field = name.slice(0, 100);
  return out;
}

/**
 * A 404 from a collection endpoint (a batch or search, never one object): the endpoint
 * is missing, which no retry and no user can fix; not a "not found" about the user's ids.
 */
export function missingEndpoint(service: ServiceName): DownstreamError {
  return unavailable(service, `The ${service} service is unavailable`, { status: 404, retryable: false });
}

/** A 2xx whose body cannot be used: wrong content type or invalid JSON. */
export function unusableBody(service: ServiceName, status: number, why: string, cause?: unknown): DownstreamError {
  return unavailable(service, `The ${service} service is unavailable`, {
    status,
    retryable: true,
    cause: cause ?? new Error(why),
  });
}

/**
 * No time was left for an attempt (the request's or the service's deadline passed before
 * it started). Not an outage (nothing was sent), so not retryable and not counted by the breaker.
 */
export function noTimeLeft(service: ServiceName): DownstreamError {
  return unavailable(service, `The ${service} service did not answer in time`, { retryable: false });
}

/** Why a call ended without a usable response, as decided by the caller of `transportError`. */
export type Interruption = 'timeout' | 'cancelled' | undefined;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
/** Our own limits or shutdown: trying again will not help. */
const FINAL_CODES = new Set(['UND_ERR_RES_EXCEEDED_MAX_SIZE', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED', 'UND_ERR_INVALID_ARG']);

/**
 * No (complete) response: a timeout, a reset or refused connection, a parser error, or
 * the caller's cancellation. `cause` keeps the low-level error for the logs only; undici
 * errors name hosts and header names, never header values.
 */
export function transportError(
  service: ServiceName,
  cause: unknown,
  interruption: Interruption,
  /** The attempt's time limit was the request's deadline, nearer than the service's own limit. Default `false`. */
  requestBound = false,
): DownstreamError {
  if (cause instanceof DownstreamError) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  if (interruption === 'cancelled') {
    return unavailable(service, `The call to the ${service} service was cancelled`, { retryable: false, cause });
  }
  const timedOut = interruption === 'timeout' || (typeof code === 'string' && TIMEOUT_CODES.has(code));
  if (timedOut && requestBound) {
    // The request ran out of time, not the service: no retry (no time is left) and not
    // counted by the breaker; the client may still try again later.
    return unavailable(service, `The ${service} service did not answer within the request's time`, {
      retryable: true,
      ownLimit: true,
      cause,
    });
  }
  if (timedOut) {
    return unavailable(service, `The ${service} service did not answer in time`, { retryable: true, cause });
  }
  const retryable = !(typeof code === 'string' && FINAL_CODES.has(code));
  return unavailable(service, `The ${service} service is unavailable`, { retryable, cause });
}
