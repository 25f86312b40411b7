import type { CallBudget } from './resilience.js';

/** The time one attempt may take, as `CallDeadlines.nextAttempt` works it out. */
export interface AttemptWindow {
  /** When the attempt started (the HTTP core's clock, epoch ms). */
  readonly started: number;
  /** How long it may take, in ms; <= 0 when no time is left (then nothing is sent). */
  readonly limitMs: number;
  /**
   * The request's deadline, not the service's own limit, bounds this attempt: a timeout
   * then says the request ran out of time (a slow sibling field, a wait in our queue),
   * not that the service failed, so it must not count toward opening its circuit.
   */
  readonly requestBound: boolean;
}

/**
 * The two deadlines of one call, as the retry policy and each attempt see them: the
 * request's (`CallOptions.deadline`, the BFF's budget for the whole GraphQL request) and
 * the service's own (`timeoutMs`, retries included). The service's clock starts with the
 * first attempt, so time spent waiting in our own queue (the bulkhead) is never charged
 * to the service. `deadline` is the nearer of the two.
 */
export class CallDeadlines implements CallBudget {
  private own: number | undefined;

  constructor(
    private readonly now: () => number,
    private readonly timeoutMs: number,
    readonly request: number | undefined,
    readonly signal: AbortSignal | undefined,
  ) {}

  /**
   * Starts the service's clock (on the first attempt) and returns the next attempt's
   * window: the service's limit for one attempt (`attemptTimeoutMs`, cut to what is left
   * of its own deadline) and the request's, whichever is nearer.
   */
  nextAttempt(attemptTimeoutMs: number): AttemptWindow {
    this.own ??= this.now() + this.timeoutMs;
    const started = this.now();
    const serviceLeft = Math.min(attemptTimeoutMs, this.own - started);
    const requestLeft = this.request === undefined ? Infinity : this.request - started;
    return { started, limitMs: Math.min(serviceLeft, requestLeft), requestBound: requestLeft < serviceLeft };
  }

  get deadline(): number | undefined {
    if (this.own === undefined) return this.request;
    return this.request !== undefined && this.request < this.own ? this.request : this.own;
  }
}
