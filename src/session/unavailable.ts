/**
 * The code of every answer given when this instance cannot read or write sessions: the
 * session store (Redis) is unreachable, or a session's tokens are sealed with a key this
 * instance does not have. HTTP 503 with `Retry-After`; GraphQL clients read it in
 * `errors[0].extensions.code`, REST clients in `error.code`. The session is kept: the
 * client retries, and gets its session back once the store (or the instance's key) is.
 */
export const SESSION_STORE_UNAVAILABLE = 'SESSION_STORE_UNAVAILABLE';

/** What a client is told (never which part failed, nor anything about the session). */
export const SESSION_STORE_UNAVAILABLE_MESSAGE = 'Sessions are temporarily unavailable. Please try again shortly.';

/** Seconds a client is asked to wait before it retries. */
export const SESSION_RETRY_AFTER_S = 1;

/**
 * Thrown (passed to `next`) by the session middleware when it cannot serve the request's
 * session; the app's error handler answers it with `SESSION_STORE_UNAVAILABLE`.
 */
export class SessionUnavailableError extends Error {
  override readonly name = 'SessionUnavailableError';
  constructor(
    /** `store`: the store failed; `key`: the tokens are sealed with an unknown key. */
    readonly reason: 'store' | 'key',
    options?: { cause?: unknown },
  ) {
    super(reason === 'store' ? 'the session store cannot be reached' : 'the session tokens are sealed with an unknown key', options);
  }
}
