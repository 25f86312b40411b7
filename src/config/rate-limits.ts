import { type Env, wholeNumberSetting } from './env-helpers.js';

/**
 * Request rates the BFF accepts (the clients' contract, "Rate limits"), counted in the
 * shared state so every instance sees the same counts. Each is requests per minute;
 * `0` turns that limit off.
 */
export interface RateLimitConfig {
  /** Per signed-in session, on `/graphql` and `/auth/user` (`RATE_LIMIT_SESSION_PER_MIN`). Default `600`. */
  readonly sessionPerMin: number;
  /**
   * Per client IP (as `TRUST_PROXY_HOPS` sees it) for requests without a signed-in
   * session, on `/graphql` and `/auth/user` (`RATE_LIMIT_ANONYMOUS_PER_MIN`). Default `300`.
   */
  readonly anonymousPerMin: number;
  /** Per client IP on `/auth/login` and `/auth/callback` (`RATE_LIMIT_LOGIN_PER_MIN`). Default `20`. */
  readonly loginPerMin: number;
}

const SETTINGS = [
  ['sessionPerMin', 'RATE_LIMIT_SESSION_PER_MIN', 600],
  ['anonymousPerMin', 'RATE_LIMIT_ANONYMOUS_PER_MIN', 300],
  ['loginPerMin', 'RATE_LIMIT_LOGIN_PER_MIN', 20],
] as const;

/** Reads the `RATE_LIMIT_*` settings; every malformed one is added to `problems`. */
export function readRateLimits(env: Env, problems: string[]): RateLimitConfig {
  const out = {} as Record<keyof RateLimitConfig, number>;
  for (const [key, name, fallback] of SETTINGS) {
    out[key] = wholeNumberSetting(env, name, fallback, problems, '0 turns the limit off');
  }
  return out;
}
