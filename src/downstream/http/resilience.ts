import {
  BrokenCircuitError,
  BulkheadRejectedError,
  ConsecutiveBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  TaskCancelledError,
  bulkhead,
  circuitBreaker,
  handleType,
  handleWhen,
  retry,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IPolicy,
  type RetryPolicy,
} from 'cockatiel';
import { DOWNSTREAM_DEFAULTS } from '../../config/defaults.js';
import type { ServiceName } from '../../config/index.js';
import type { Logger } from '../../observability/logger.js';
import { DownstreamError } from '../errors.js';

/**
 * Retry, circuit breaker and concurrency cap of one downstream service, built once per
 * process on cockatiel's policies. All numbers are per service.
 */
export interface ResilienceOptions {
  /**
   * Retries after the first attempt, for idempotent calls only (GET, and POST with an
   * `Idempotency-Key`), and only after failures that may pass: 5xx, 408, 429, timeouts,
   * resets, unusable bodies. `0` turns retrying off. Default `2`.
   */
  readonly maxRetries?: number;
  /** Base of the exponential backoff (decorrelated jitter), in ms. Default `50`. */
  readonly initialBackoffMs?: number;
  /** Longest backoff between two attempts, in ms. Default `1000`. */
  readonly maxBackoffMs?: number;
  /**
   * Longest `Retry-After` the BFF honours, in ms. A longer one means "not within this
   * request": the call fails at once instead of retrying early against the service's
   * wish. Default `2000`.
   */
  readonly maxRetryAfterMs?: number;
  /**
   * A retry is only started when at least this much of the call's deadline is left
   * after the backoff, in ms; otherwise the last error is returned at once. Default `50`.
   */
  readonly minAttemptMs?: number;
  /** Consecutive failed attempts that open the circuit. Default `5`. */
  readonly breakAfterFailures?: number;
  /**
   * How long an open circuit fails calls at once before letting one probe call through
   * (half-open); the probe's success closes it, its failure opens it again. Default `5000`.
   */
  readonly halfOpenAfterMs?: number;
  /** Calls in flight at once (beyond the pool's sockets they wait in undici). Default `64` (`DOWNSTREAM_DEFAULTS`). */
  readonly maxConcurrent?: number;
  /** Calls waiting for a slot; beyond that a call fails at once as unavailable. Default `512`. */
  readonly maxQueued?: number;
}

export const RESILIENCE_DEFAULTS: Readonly<Required<ResilienceOptions>> = {
  maxRetries: DOWNSTREAM_DEFAULTS.maxRetries,
  initialBackoffMs: 50,
  maxBackoffMs: 1000,
  maxRetryAfterMs: 2000,
  minAttemptMs: 50,
  breakAfterFailures: DOWNSTREAM_DEFAULTS.breakAfterFailures,
  halfOpenAfterMs: DOWNSTREAM_DEFAULTS.halfOpenAfterMs,
  maxConcurrent: DOWNSTREAM_DEFAULTS.maxConcurrent,
  maxQueued: 512,
};

/** How much time one call may take in total, across its retries. */
export interface CallBudget {
  /** Epoch ms (`Date.now()` scale) after which no attempt starts and none continues. */
  readonly deadline?: number | undefined;
  /** Aborts the call (the GraphQL request went away). */
  readonly signal?: AbortSignal | undefined;
}

/** An attempt failed in a way worth retrying after `delayMs`; unwrapped before anyone sees it. */
class RetryLater extends Error {
  constructor(
    readonly error: DownstreamError,
    readonly delayMs: number,
  ) {
    super('retry later');
  }
}

/**
 * What the circuit breaker counts and the retry policy retries: the service failing, not
 * the user's input, our cancellation or our own limits (the request's deadline).
 */
const isOutage = (err: Error) =>
  err instanceof DownstreamError && err.failure === 'unavailable' && err.details.retryable === true && err.details.ownLimit !== true;

export class ServicePolicies {
  readonly options: Readonly<Required<ResilienceOptions>>;
  /** Exposed for health and metrics (`breaker.state`). */
  readonly breaker: CircuitBreakerPolicy;
  private readonly bulkhead: BulkheadPolicy;
  private readonly guard: IPolicy;
  private readonly retry: RetryPolicy;
  private readonly backoff: ExponentialBackoff<unknown>;

  constructor(
    private readonly service: ServiceName,
    options: ResilienceOptions,
    logger: Logger,
    private readonly now: () => number,
  ) {
    const o = (this.options = { ...RESILIENCE_DEFAULTS, ...options });
    this.breaker = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: o.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(o.breakAfterFailures),
    });
    this.breaker.onBreak(() =>
      logger.warn({ downstream: service }, `circuit opened: calls to ${service} fail fast for ${o.halfOpenAfterMs} ms`),
    );
    this.breaker.onReset(() => logger.info({ downstream: service }, `circuit closed: ${service} answers again`));
    // The bulkhead sits outside the breaker so a rejection for our own overload never
    // counts as the service failing; the retry sits outside both so a backoff does not
    // hold a slot and an open circuit ends the retries.
    this.bulkhead = bulkhead(o.maxConcurrent, o.maxQueued);
    this.guard = wrap(this.bulkhead, this.breaker);
    this.backoff = new ExponentialBackoff({ initialDelay: o.initialBackoffMs, maxDelay: o.maxBackoffMs });
    this.retry = retry(handleType(RetryLater), {
      maxAttempts: o.maxRetries,
      backoff: new DelegateBackoff((ctx) => ((ctx.result as { error: RetryLater }).error).delayMs),
    });
    this.retry.onRetry(({ delay, attempt }) => logger.debug({ downstream: service, attempt, delay }, 'retrying downstream call'));
  }

  /** Calls waiting for a slot of the concurrency cap (the `downstream_queued_calls` gauge). */
  get queued(): number {
    return this.options.maxQueued - this.bulkhead.queueSlots;
  }

  /** Calls holding a slot (the `downstream_active_calls` gauge). */
  get active(): number {
    return this.options.maxConcurrent - this.bulkhead.executionSlots;
  }

  /**
   * Runs `attempt` under the breaker and bulkhead, retrying it when `idempotent`.
   * Rejects with a `DownstreamError` for every expected failure.
   */
  async run<T>(attempt: () => Promise<T>, idempotent: boolean, budget: CallBudget): Promise<T> {
    try {
      if (!idempotent || this.options.maxRetries === 0) return await this.guard.execute(attempt, budget.signal);
      // The wait between attempts is planned here, not by cockatiel: only this call knows
      // its deadline and the service's Retry-After. cockatiel's sleep does not wake on an
      // abort, so a wait is kept short (maxBackoffMs, maxRetryAfterMs) and within the deadline.
      let backoff: IBackoff<unknown> | undefined;
      return await this.retry.execute(async () => {
        try {
          return await this.guard.execute(attempt, budget.signal);
        } catch (err) {
          // An open circuit, a full bulkhead or a cancellation ends the call now.
          if (!(err instanceof DownstreamError)) throw err;
          backoff = backoff ? backoff.next(undefined) : this.backoff.next();
          const delay = this.retryDelay(err, backoff.duration, budget);
          throw delay === undefined ? err : new RetryLater(err, delay);
        }
      }, budget.signal);
    } catch (err) {
      throw this.normalise(err instanceof RetryLater ? err.error : err);
    }
  }

  /** Milliseconds to wait before retrying after `error`, or undefined to give up now. */
  private retryDelay(error: DownstreamError, backoffMs: number, budget: CallBudget): number | undefined {
    if (!isOutage(error) || budget.signal?.aborted) return undefined;
    const retryAfter = error.details.retryAfterMs;
    if (retryAfter !== undefined && retryAfter > this.options.maxRetryAfterMs) return undefined;
    const delay = Math.max(backoffMs, retryAfter ?? 0);
    if (budget.deadline !== undefined && this.now() + delay + this.options.minAttemptMs > budget.deadline) {
      return undefined;
    }
    return delay;
  }

  private normalise(err: unknown): unknown {
    if (err instanceof DownstreamError) return err;
    const service = this.service;
    // Order matters: cockatiel's IsolatedCircuitError extends BrokenCircuitError.
    if (err instanceof BrokenCircuitError) {
      return new DownstreamError(service, 'unavailable', `The ${service} service is unavailable`, {
        retryable: true,
        cause: err,
      });
    }
    if (err instanceof BulkheadRejectedError) {
      return new DownstreamError(service, 'unavailable', `The ${service} service is busy`, { retryable: true, cause: err });
    }
    if (err instanceof TaskCancelledError) {
      return new DownstreamError(service, 'unavailable', `The call to the ${service} service was cancelled`, {
        retryable: false,
        cause: err,
      });
    }
    // Anything else is a bug in the BFF: let it surface as itself.
    return err;
  }
}
