import { Pool, type Dispatcher } from 'undici';
import type { HttpCall } from './call.js';
import type { Abort } from './wire.js';

/** Sizing and limits of one service's pool; defaults as documented on `ServiceHttpOptions`. */
export interface ServicePoolOptions {
  /** `scheme://host:port` of the service. */
  readonly origin: string;
  /** The base URL's path prefix (`''` or `/catalog`), put before every call's path. */
  readonly basePath: string;
  readonly connections: number;
  /** Longest time one attempt may take; also undici's connect, headers and body timeouts. */
  readonly attemptTimeoutMs: number;
  readonly maxResponseBytes: number;
}

/** Headers that are sent as given (a credential's, a revalidation's). */
export type HeaderSet = Readonly<Record<string, string>>;

/**
 * The wire to one service: one keep-alive undici `Pool`, created once per process, and
 * the request each call becomes on it (headers, body, path under the base URL).
 */
/**
 * undici's own timeouts are only a backstop: the attempt's timer (`AttemptTimer`, a
 * native timer) ends an attempt at its limit. undici runs its timeouts on coarse timers
 * that may fire up to half a second early, which cut attempts short (a 900 ms attempt
 * ended after 700 ms): the call then made more attempts than its time allows, each
 * counted as the service's timeout. So undici's fire only well after ours would have.
 */
const UNDICI_TIMER_SLACK_MS = 1000;

export class ServicePool {
  readonly #pool: Pool;
  readonly #basePath: string;

  constructor(opts: ServicePoolOptions) {
    this.#basePath = opts.basePath;
    this.#pool = new Pool(opts.origin, {
      connections: opts.connections,
      // No pipelining: a slow answer must not hold up the calls queued behind it.
      pipelining: 1,
      headersTimeout: opts.attemptTimeoutMs + UNDICI_TIMER_SLACK_MS,
      bodyTimeout: opts.attemptTimeoutMs + UNDICI_TIMER_SLACK_MS,
      connect: { timeout: opts.attemptTimeoutMs + UNDICI_TIMER_SLACK_MS },
      maxResponseSize: opts.maxResponseBytes,
    });
  }

  /** Sends `call` once with the given credential, conditional and trace headers, within `limitMs`. */
  send(
    call: HttpCall,
    auth: HeaderSet | undefined,
    conditional: HeaderSet | undefined,
    signal: Abort,
    limitMs: number,
    trace?: HeaderSet,
  ): Promise<Dispatcher.ResponseData> {
    // A fresh object per call: the credential's own object may be shared and must not change.
    const headers: Record<string, string> =
      auth === undefined ? { accept: 'application/json' } : { ...auth, accept: 'application/json' };
    if (conditional !== undefined) Object.assign(headers, conditional);
    let body: string | undefined;
    if (call.json !== undefined) {
      body = JSON.stringify(call.json);
      headers['content-type'] = 'application/json';
    } else if (call.form !== undefined) {
      body = call.form;
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
    if (call.requestId !== undefined) headers['x-request-id'] = call.requestId;
    // Our own `traceparent`, set here so it goes out whether or not undici is instrumented
    // (the undici instrumentation skips requests that carry one: see observability/tracing.ts).
    if (trace !== undefined) Object.assign(headers, trace);
    return this.#pool.request({
      path: this.#basePath + call.path,
      method: call.method,
      headers,
      body,
      signal,
      headersTimeout: limitMs + UNDICI_TIMER_SLACK_MS,
      bodyTimeout: limitMs + UNDICI_TIMER_SLACK_MS,
    });
  }

  /** Lets calls in flight finish, then closes the sockets. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
