/**
 * The defaults of settings that modules outside `config/` also need as their own option
 * defaults (a client built by hand, in a test or a benchmark): written once here, and
 * imported there, so the two can never disagree. Pure data: importing it loads nothing.
 */

/** Timeouts, retry, breaker and concurrency cap of every downstream service (`DOWNSTREAM_*`). */
export const DOWNSTREAM_DEFAULTS = {
  /** `DOWNSTREAM_TIMEOUT_MS`: one call, retries included. */
  timeoutMs: 3000,
  /** `DOWNSTREAM_MAX_RETRIES`: retries of an idempotent call after the first attempt. */
  maxRetries: 2,
  /** `DOWNSTREAM_BREAKER_FAILURES`: consecutive failures that open the circuit. */
  breakAfterFailures: 5,
  /** `DOWNSTREAM_BREAKER_RESET_MS`: how long an open circuit fails fast before a probe. */
  halfOpenAfterMs: 5000,
  /** `DOWNSTREAM_MAX_CONCURRENT`: calls in flight at once per service. */
  maxConcurrent: 64,
} as const;

/** Timeouts of the BFF's requests to the identity provider (`OIDC_TIMEOUT_MS`, `OIDC_REVOKE_TIMEOUT_MS`). */
export const OIDC_DEFAULTS = {
  /** `OIDC_TIMEOUT_MS`: each request to the IdP (discovery, code exchange, refresh, client credentials). */
  timeoutMs: 10_000,
  /** `OIDC_REVOKE_TIMEOUT_MS`: how long logout waits for the IdP to revoke the refresh token (and for its end-session URL). */
  revokeTimeoutMs: 2000,
} as const;

/** How a downstream secret's rotation is bridged (`SECRET_ROTATION_WAIT_MS`, `SECRET_PREVIOUS_GRACE_MS`). */
export const SECRET_ROTATION_DEFAULTS = {
  /** How long a call refused with the current secret waits for a new one. */
  waitMs: 2000,
  /** How long the previous value is still tried after a change (how long Kubernetes may take). */
  previousGraceMs: 300_000,
} as const;

/** The contract's limit on ids per batch request (docs/downstream.md); DataLoader splits larger batches. */
export const MAX_BATCH_SIZE = 100;

/** `DOWNSTREAM_CACHE_MAX_ENTRIES`: answers the shared response cache keeps. */
export const RESPONSE_CACHE_MAX_ENTRIES = 1000;
