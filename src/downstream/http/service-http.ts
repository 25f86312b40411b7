import { CircuitState } from 'cockatiel';
import type { ServiceName } from '../../config/index.js';
import type { Logger } from '../../observability/logger.js';
import type { Credential } from '../credential.js';
import { AnswerReader } from './answer-reader.js';
import { AttemptTimer } from './attempt-timer.js';
import { parseBaseUrl } from './base-url.js';
import { CachedReads } from './cached-reads.js';
import type { HttpCall } from './call.js';
import { type CallObserver, CallRun, CallSpan, type ServiceTelemetry } from './call-telemetry.js';
import { CallDeadlines } from './call-deadlines.js';
import { CredentialFailure, sendWithCredential } from './credential-renewal.js';
import { noTimeLeft, transportError } from './outcomes.js';
import { ServicePool } from './pool.js';
import { ServicePolicies, type ResilienceOptions } from './resilience.js';
import type { ResponseCacheOptions } from './response-cache.js';

export type { CallOptions, HttpCall, HttpMethod } from './call.js';

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
  /**
   * Metrics of every call (outcome, duration, retries, cache hits) and, with a tracer,
   * one span per call whose context is sent as `traceparent`. Default: none.
   */
  readonly telemetry?: ServiceTelemetry | undefined;
}

const DEFAULT_CONNECTIONS = 32;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * The HTTP core of one downstream service. Clients (one per service) own the paths and
 * the DTOs; nothing here knows a service's routes. This class only puts the parts of a
 * call in order, each in its own module:
 *
 * 1. the shared cache (`cached-reads.ts`) may answer at once;
 * 2. the request's budget of downstream calls is charged (`DownstreamCallBudget`);
 * 3. retry, breaker and bulkhead (`resilience.ts`) run the attempts, within the call's
 *    deadlines (`call-deadlines.ts`);
 * 4. each attempt runs under one timer (`attempt-timer.ts`), sends on the service's pool
 *    (`pool.ts`) with the credential, renewed once on a 401 (`credential-renewal.ts`);
 * 5. the answer is read (`answer-reader.ts`, logging what an operator must know in
 *    `answer-log.ts`) and every failure mapped to a `DownstreamError` (`outcomes.ts`).
 */
export class ServiceHttp {
  readonly service: ServiceName;
  private readonly pool: ServicePool;
  private readonly timeoutMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly credential: Credential | undefined;
  private readonly policies: ServicePolicies | undefined;
  private readonly reader: AnswerReader;
  private readonly cache: CachedReads | undefined;
  private readonly now: () => number;
  private readonly origin: URL;
  private readonly observer: CallObserver | undefined;
  private readonly tracer: ServiceTelemetry['tracer'];

  constructor(opts: ServiceHttpOptions) {
    const { origin, basePath } = parseBaseUrl(opts.service, opts.baseUrl);
    if (!(opts.timeoutMs > 0)) throw new RangeError(`${opts.service}: timeoutMs must be positive`);
    const attemptTimeoutMs = Math.min(opts.attemptTimeoutMs ?? opts.timeoutMs, opts.timeoutMs);
    if (!(attemptTimeoutMs > 0)) throw new RangeError(`${opts.service}: attemptTimeoutMs must be positive`);
    this.service = opts.service;
    this.timeoutMs = opts.timeoutMs;
    this.attemptTimeoutMs = attemptTimeoutMs;
    this.credential = opts.credential;
    this.now = opts.now ?? Date.now;
    this.origin = new URL(origin);
    this.observer = opts.telemetry?.observer;
    this.tracer = opts.telemetry?.tracer;
    this.pool = new ServicePool({
      origin,
      basePath,
      connections: opts.connections ?? DEFAULT_CONNECTIONS,
      attemptTimeoutMs,
      maxResponseBytes: opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
    this.policies =
      opts.resilience === false ? undefined : new ServicePolicies(opts.service, opts.resilience ?? {}, opts.logger, this.now);
    this.reader = new AnswerReader(opts.service, opts.logger, this.now);
    this.cache = opts.cache ? new CachedReads(opts.service, opts.cache, this.reader) : undefined;
  }

  /**
   * Makes the call and resolves to the parsed JSON body of a 2xx answer (`undefined` for
   * 204). Rejects with a `DownstreamError` for every failure a service can cause.
   * GETs and POSTs with an `Idempotency-Key` are retried; others never are.
   */
  request<T>(call: HttpCall): Promise<T> {
    const cache = this.cache !== undefined && CachedReads.applies(call) ? this.cache : undefined;
    if (cache !== undefined) {
      const hit = cache.fresh(call);
      if (hit !== undefined) {
        this.observer?.cacheHit();
        return Promise.resolve(hit as T);
      }
      this.observer?.cacheMiss();
    }
    try {
      call.callLimit?.take(this.service);
    } catch (err) {
      return Promise.reject(err);
    }
    const deadlines = new CallDeadlines(this.now, this.timeoutMs, call.deadline, call.signal);
    const run = new CallRun();
    const span = this.tracer === undefined ? undefined : new CallSpan(this.tracer, this.service, this.origin, call);
    const attempt = () => this.attempt<T>(call, cache, deadlines, run, span);
    const started = performance.now();
    const done =
      this.policies === undefined
        ? attempt()
        : this.policies.run(attempt, call.method === 'GET' || call.idempotencyKey !== undefined, deadlines);
    if (this.observer === undefined && span === undefined) return done;
    return done.then(
      (value) => {
        this.finished(run, span, started, undefined);
        return value;
      },
      (err: unknown) => {
        this.finished(run, span, started, err);
        throw err;
      },
    );
  }

  /** The call's metric and the end of its span. */
  private finished(run: CallRun, span: CallSpan | undefined, started: number, err: unknown): void {
    this.observer?.finished(run.outcome(err !== undefined), (performance.now() - started) / 1000, run.retries);
    span?.end(run, err);
  }

  /** Calls waiting for a slot of the concurrency cap (0 without resilience), for metrics. */
  get queued(): number {
    return this.policies?.queued ?? 0;
  }

  /** Calls holding a slot of the concurrency cap (0 without resilience), for metrics. */
  get active(): number {
    return this.policies?.active ?? 0;
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

  /** One attempt: send (renewing the credential on a 401), read the answer, map any failure. */
  private async attempt<T>(
    call: HttpCall,
    cache: CachedReads | undefined,
    deadlines: CallDeadlines,
    run: CallRun,
    span: CallSpan | undefined,
  ): Promise<T> {
    const { started, limitMs, requestBound } = deadlines.nextAttempt(this.attemptTimeoutMs);
    if (limitMs <= 0) throw noTimeLeft(this.service);
    run.attempts++;
    run.status = 0;
    const timer = new AttemptTimer(limitMs, call.signal);
    try {
      const revalidation = cache?.revalidation(call);
      const res = await sendWithCredential(
        call.credential ?? this.credential,
        (auth) => this.pool.send(call, auth, revalidation?.headers, timer.signal, limitMs, span?.headers),
        { now: this.now, started, limitMs },
      );
      run.status = res.statusCode;
      if (cache !== undefined) return await cache.read<T>(res, call, revalidation);
      return await this.reader.read<T>(res, call);
    } catch (err) {
      if (err instanceof CredentialFailure) throw err.error;
      throw transportError(this.service, err, timer.interruption, requestBound);
    } finally {
      timer.clear();
    }
  }
}
