import { CircuitState } from 'cockatiel';
import { Pool, type Dispatcher } from 'undici';
import type { ServiceName } from '../../config/index.js';
import type { Logger } from '../../observability/logger.js';
import type { Credential, RenewOptions } from '../credential.js';
import { DownstreamError, type DownstreamCallBudget } from '../errors.js';
import { parseBaseUrl } from './base-url.js';
import { missingEndpoint, statusError, transportError, unusableBody, type Interruption } from './outcomes.js';
import { ServicePolicies, type CallBudget, type ResilienceOptions } from './resilience.js';
import { ResponseCache, type ResponseCacheOptions, type Revalidation } from './response-cache.js';
import { parseRetryAfter } from './retry-after.js';
import { Abort, discard, isJson, withoutQuery } from './wire.js';

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
}

/** One call to the service. */
export interface HttpCall extends CallOptions {
  readonly method: HttpMethod;
  /**
   * Path and query below the base URL, starting with `/`, every user-supplied part
   * already encoded (`path`, `listValue`, `encodeValue` in `paths.ts`).
   */
  readonly path: string;
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

export interface ServiceHttpOptions {
  readonly service: ServiceName;
  /**
   * The service's base URL, from configuration only (a user never picks the host). It may
   * carry a path prefix (`https://api.example/catalog`); a query, fragment or
   * `user:password@` is refused.
   */
  readonly baseUrl: string;
  /**
   * Longest time one call may take, in ms, all its attempts and backoffs included: a
   * hung service costs at most this. The request's own deadline may cut it shorter.
   */
  readonly timeoutMs: number;
  /**
   * Longest time one attempt may take, in ms: waiting for headers, then for the body,
   * and the whole exchange (including a 401 → renew → retry) under one timer. Shorter
   * than `timeoutMs`, it lets a stuck attempt be retried within the call's time; equal,
   * a timed-out attempt ends the call. Default `timeoutMs`.
   */
  readonly attemptTimeoutMs?: number | undefined;
  readonly logger: Logger;
  /** The service's own credential (API key, secret key, client-credentials token). */
  readonly credential?: Credential | undefined;
  /** Keep-alive sockets to the service. Default `32`. */
  readonly connections?: number | undefined;
  /** Largest response body accepted, in bytes; a bigger one fails the call. Default 8 MiB. */
  readonly maxResponseBytes?: number | undefined;
  /**
   * Retry, circuit breaker and concurrency cap (see `ResilienceOptions` for the defaults).
   * `false` turns all three off. Default `{}` (all on with defaults).
   */
  readonly resilience?: ResilienceOptions | false | undefined;
  /** Clock for deadlines and `Retry-After` dates. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /**
   * A shared HTTP cache for GETs made with the service's own credential, honouring the
   * service's `Cache-Control` and validators. Only for services whose answers are the
   * same for every user; calls that bring their own credential (a user's token) never
   * touch it. Default `false`.
   */
  readonly cache?: ResponseCacheOptions | false | undefined;
}

const DEFAULT_CONNECTIONS = 32;
/** Renewals of the credential within one attempt (see `exchange`). */
const MAX_RENEWALS = 2;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * The HTTP core of one downstream service: one keep-alive undici `Pool` created once per
 * process, the credential, timeouts, JSON in and out, and the mapping of every outcome
 * to a `DownstreamError`. Clients (one per service) own the paths and the DTOs; nothing
 * here knows a service's routes.
 */
export class ServiceHttp {
  readonly service: ServiceName;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly timeoutMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly logger: Logger;
  private readonly credential: Credential | undefined;
  private readonly policies: ServicePolicies | undefined;
  private readonly cache: ResponseCache | undefined;
  private readonly now: () => number;

  constructor(opts: ServiceHttpOptions) {
    const { origin, basePath } = parseBaseUrl(opts.service, opts.baseUrl);
    if (!(opts.timeoutMs > 0)) throw new RangeError(`${opts.service}: timeoutMs must be positive`);
    const attemptTimeoutMs = Math.min(opts.attemptTimeoutMs ?? opts.timeoutMs, opts.timeoutMs);
    if (!(attemptTimeoutMs > 0)) throw new RangeError(`${opts.service}: attemptTimeoutMs must be positive`);
    this.service = opts.service;
    this.basePath = basePath;
    this.timeoutMs = opts.timeoutMs;
    this.attemptTimeoutMs = attemptTimeoutMs;
    this.logger = opts.logger;
    this.credential = opts.credential;
    this.now = opts.now ?? Date.now;
    this.pool = new Pool(origin, {
      connections: opts.connections ?? DEFAULT_CONNECTIONS,
      // No pipelining: a slow answer must not hold up the calls queued behind it.
      pipelining: 1,
      headersTimeout: attemptTimeoutMs,
      bodyTimeout: attemptTimeoutMs,
      connect: { timeout: attemptTimeoutMs },
      maxResponseSize: opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
    this.policies =
      opts.resilience === false ? undefined : new ServicePolicies(opts.service, opts.resilience ?? {}, opts.logger, this.now);
    this.cache = opts.cache ? new ResponseCache(opts.cache) : undefined;
  }

  /**
   * Makes the call and resolves to the parsed JSON body of a 2xx answer (`undefined` for
   * 204). Rejects with a `DownstreamError` for every failure a service can cause.
   * GETs and POSTs with an `Idempotency-Key` are retried; others never are.
   */
  request<T>(call: HttpCall): Promise<T> {
    // Shared caching only with the service's own credential: a user's call never reads
    // or fills the cache, whatever the service's headers say.
    const cached = this.cache !== undefined && call.method === 'GET' && call.credential === undefined;
    if (cached) {
      const hit = this.cache!.fresh(call.path);
      if (hit !== undefined) return Promise.resolve(hit as T);
    }
    try {
      call.callLimit?.take(this.service);
    } catch (err) {
      return Promise.reject(err);
    }
    const deadlines = new CallDeadlines(this.now, this.timeoutMs, call.deadline, call.signal);
    if (this.policies === undefined) return this.exchange<T>(call, cached, deadlines);
    const idempotent = call.method === 'GET' || call.idempotencyKey !== undefined;
    return this.policies.run(() => this.exchange<T>(call, cached, deadlines), idempotent, deadlines);
  }

  /** Answers held by the shared cache (0 without one), for metrics and tests. */
  get cachedAnswers(): number {
    return this.cache?.size ?? 0;
  }

  /** The circuit's state, for readiness and metrics (`closed` when resilience is off). */
  get circuit(): 'closed' | 'open' | 'half-open' | 'isolated' {
    switch (this.policies?.breaker.state ?? CircuitState.Closed) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      case CircuitState.Isolated:
        return 'isolated';
    }
  }

  /** Lets calls in flight finish, then closes the sockets. */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** One attempt: send, on a 401 renew the credential and send once more, read the answer. */
  private async exchange<T>(call: HttpCall, cached: boolean, deadlines: CallDeadlines): Promise<T> {
    const own = deadlines.start();
    const started = this.now();
    // The service's own limit for this attempt, and the request's: whichever is nearer
    // sets the timer, and decides whose time ran out.
    const serviceLeft = Math.min(this.attemptTimeoutMs, own - started);
    const requestLeft = deadlines.request === undefined ? Infinity : deadlines.request - started;
    const limit = Math.min(serviceLeft, requestLeft);
    // Not an outage (nothing was sent), so not retryable and not counted by the breaker.
    if (limit <= 0) {
      throw new DownstreamError(this.service, 'unavailable', `The ${this.service} service did not answer in time`, {
        retryable: false,
      });
    }
    // The request's deadline, not the service's own limit, bounds this attempt: a timeout
    // then says the request ran out of time (a slow sibling field, a wait in our queue),
    // not that the service failed, so it must not count toward opening its circuit.
    const requestBound = requestLeft < serviceLeft;
    // One timer for the whole exchange; undici's headers/body timeouts alone would allow
    // twice the limit (and more across the 401 retry).
    const controller = new Abort();
    let interruption: Interruption;
    const timer = setTimeout(() => {
      interruption = 'timeout';
      controller.abort();
    }, limit);
    const caller = call.signal;
    const onCallerAbort = () => {
      interruption ??= 'cancelled';
      controller.abort();
    };
    if (caller !== undefined) {
      if (caller.aborted) onCallerAbort();
      else caller.addEventListener('abort', onCallerAbort, { once: true });
    }
    try {
      const credential = call.credential ?? this.credential;
      const revalidation = cached ? this.cache!.revalidation(call.path) : undefined;
      const conditional = revalidation?.headers;
      let auth = await credentialHeaders(credential);
      let sentAt = this.now();
      let res = await this.send(call, auth, conditional, controller, limit);
      // A 401: renew (a rotated key, an expired token) and send again; a second 401
      // normally stands, because a credential renews a refused value only once. A second
      // renewal exists for a rotation caught mid-way (refused with the new key, retried
      // with the old one, and the service switched in between) and is only taken with
      // different headers. A rotation under way may be waited for, keeping a quarter of
      // the attempt for the retry.
      for (let renewals = 0; res.statusCode === 401 && credential !== undefined && renewals < MAX_RENEWALS; renewals++) {
        await discard(res);
        const maxWaitMs = started + limit - limit / 4 - this.now();
        if (!(await renewCredential(credential, auth, { maxWaitMs: maxWaitMs > 0 ? maxWaitMs : 0, sentAt }))) break;
        const renewed = await credentialHeaders(credential);
        if (renewals > 0 && sameHeaders(renewed, auth)) break;
        auth = renewed;
        sentAt = this.now();
        res = await this.send(call, auth, conditional, controller, limit);
      }
      if (credential?.accepted !== undefined && auth !== undefined && takesCredential(res.statusCode)) credential.accepted(auth);
      if (cached) return await this.readCacheable<T>(res, call, revalidation);
      return await this.read<T>(res, call);
    } catch (err) {
      if (err instanceof CredentialFailure) throw err.error;
      throw transportError(this.service, err, interruption, requestBound);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    }
  }

  private send(
    call: HttpCall,
    auth: Readonly<Record<string, string>> | undefined,
    conditional: Readonly<Record<string, string>> | undefined,
    signal: Abort,
    limit: number,
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
    return this.pool.request({
      path: this.basePath + call.path,
      method: call.method,
      headers,
      body,
      signal,
      headersTimeout: limit,
      bodyTimeout: limit,
    });
  }

  private async read<T>(res: Dispatcher.ResponseData, call: HttpCall): Promise<T> {
    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      if (status === 204) {
        await discard(res);
        return undefined as T;
      }
      await this.expectJson(res);
      try {
        return (await res.body.json()) as T;
      } catch (err) {
        // The parser's message quotes the body (which may hold secrets): keep none of it.
        if (err instanceof SyntaxError) throw unusableBody(this.service, status, 'the answer is invalid JSON');
        throw err;
      }
    }
    return this.fail(res, call);
  }

  /** `read` for a call the shared cache may answer: keeps the body text, handles 304. */
  private async readCacheable<T>(res: Dispatcher.ResponseData, call: HttpCall, revalidation: Revalidation | undefined): Promise<T> {
    const status = res.statusCode;
    const cache = this.cache!;
    if (status === 304 && revalidation !== undefined) {
      await discard(res);
      const value = cache.notModified(call.path, revalidation, res.headers);
      // The stored entry is gone now, so the retry fetches without conditions.
      if (value === undefined) throw unusableBody(this.service, status, 'a 304 that matches nothing stored');
      return value as T;
    }
    if (status !== 200) return this.read<T>(res, call);
    await this.expectJson(res);
    const text = await res.body.text();
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch {
      throw unusableBody(this.service, status, 'the answer is invalid JSON');
    }
    cache.store(call.path, res.headers, text);
    return value;
  }

  private async expectJson(res: Dispatcher.ResponseData): Promise<void> {
    if (isJson(res.headers['content-type'])) return;
    await discard(res);
    throw unusableBody(this.service, res.statusCode, 'the answer is not JSON');
  }

  /** Reads what is useful of an error answer, logs a refused credential, and throws. */
  private async fail(res: Dispatcher.ResponseData, call: HttpCall): Promise<never> {
    const status = res.statusCode;
    let errorBody: unknown;
    if ((status === 400 || status === 422) && isJson(res.headers['content-type'])) {
      try {
        errorBody = await res.body.json();
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
      }
    } else {
      await discard(res);
    }
    if (status === 401 || status === 403) {
      // Our credential (or the user's token) was refused: an operator must know, the
      // user can do nothing. Never the credential itself, nor the query string.
      this.logger.warn(
        { service: this.service, status, method: call.method, path: withoutQuery(call.path) },
        `the ${this.service} service refused the credential`,
      );
    }
    if (status === 404 && call.collection === true) {
      // A collection endpoint that does not exist: the base URL (or the service) is wrong.
      this.logger.warn(
        { service: this.service, status, method: call.method, path: withoutQuery(call.path) },
        `the ${this.service} service has no such endpoint: check its base URL`,
      );
      throw missingEndpoint(this.service);
    }
    const retryAfter = status === 503 || status === 429 ? parseRetryAfter(res.headers['retry-after'], this.now()) : undefined;
    throw statusError(this.service, status, errorBody, retryAfter);
  }
}

/**
 * The two deadlines of one call, as the retry policy and each attempt see them: the
 * request's (`CallOptions.deadline`, the BFF's budget for the whole GraphQL request) and
 * the service's own (`timeoutMs`, retries included). The service's clock starts with the
 * first attempt, so time spent waiting in our own queue (the bulkhead) is never charged
 * to the service. `deadline` is the nearer of the two.
 */
class CallDeadlines implements CallBudget {
  private own: number | undefined;

  constructor(
    private readonly now: () => number,
    private readonly timeoutMs: number,
    readonly request: number | undefined,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** Starts the service's clock (once) and returns the service's own deadline. */
  start(): number {
    this.own ??= this.now() + this.timeoutMs;
    return this.own;
  }

  get deadline(): number | undefined {
    if (this.own === undefined) return this.request;
    return this.request !== undefined && this.request < this.own ? this.request : this.own;
  }
}

/**
 * An error of the credential itself, from `headers()` or `renew()` (the user's session
 * ended, the IdP could not refresh a token): it is not the service's failure, so it
 * passes through unchanged (the auth layer's error says what the user must do), is not
 * retried and does not count against the service's circuit.
 */
class CredentialFailure {
  constructor(readonly error: unknown) {}
}

async function credentialHeaders(credential: Credential | undefined): Promise<Record<string, string> | undefined> {
  if (credential === undefined) return undefined;
  try {
    return await credential.headers();
  } catch (err) {
    throw new CredentialFailure(err);
  }
}

function sameHeaders(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * Whether an answer shows the service took the credential: not 401/403 (refused), and
 * not 5xx (a proxy or an outage may answer before anyone looked at it).
 */
function takesCredential(status: number): boolean {
  return status < 500 && status !== 401 && status !== 403;
}

async function renewCredential(credential: Credential, refused: Record<string, string> | undefined, opts: RenewOptions): Promise<boolean> {
  try {
    return await credential.renew(refused, opts);
  } catch (err) {
    throw new CredentialFailure(err);
  }
}
