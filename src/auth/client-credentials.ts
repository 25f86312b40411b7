import type { Credential } from '../downstream/credential.js';
import type { Logger } from '../observability/logger.js';
import { AuthError } from './errors.js';
import type { OidcClient } from './oidc-client.js';

export interface ClientCredentialsTokenOptions {
  readonly oidc: OidcClient;
  /** Scope to ask for (e.g. `REVIEWS_SCOPE`). */
  readonly scope: string;
  readonly logger: Logger;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Fetch a new token this many seconds before the cached one expires (at most half its
   * lifetime, for very short-lived tokens). Default `30`.
   */
  readonly refreshBeforeExpiryS?: number;
  /**
   * A token younger than this many milliseconds is not replaced after a 401: a service
   * that refuses every new token must not turn each call into a token request. (A 401
   * for an older token than the cached one never fetches: someone renewed already.)
   * Default `1000`.
   */
  readonly minRenewIntervalMs?: number;
}

interface CachedToken {
  readonly accessToken: string;
  /** When to stop using it, epoch ms; undefined when the IdP gave no lifetime (use until a 401). */
  readonly useUntil: number | undefined;
  readonly fetchedAt: number;
}

/**
 * A process-wide service token from the client credentials grant (the BFF's own
 * identity, e.g. for the reviews service). One token is shared by all requests:
 * - fetched on first use, by one request to the IdP however many callers wait for it;
 * - reused until shortly before it expires;
 * - `renew()` (after the service answered 401) drops it and fetches a new one, once for
 *   every call refused with the same token.
 * Failures to get a token are `AuthError('IDP_UNAVAILABLE')`.
 */
export function createClientCredentialsToken(opts: ClientCredentialsTokenOptions): Credential {
  const now = opts.now ?? Date.now;
  const before = (opts.refreshBeforeExpiryS ?? 30) * 1000;
  const minRenewInterval = opts.minRenewIntervalMs ?? 1000;
  const log = opts.logger.child({ component: 'client-credentials', scope: opts.scope });
  let cached: CachedToken | undefined;
  let inFlight: Promise<CachedToken> | undefined;

  const fetchToken = (): Promise<CachedToken> => {
    inFlight ??= (async () => {
      try {
        const res = await opts.oidc.clientCredentials(opts.scope);
        const fetchedAt = now();
        const lifetime = res.expiresIn !== undefined ? res.expiresIn * 1000 : undefined;
        const token: CachedToken = {
          accessToken: res.accessToken,
          useUntil: lifetime === undefined ? undefined : fetchedAt + lifetime - Math.min(before, lifetime / 2),
          fetchedAt,
        };
        cached = token;
        log.debug({ expiresInS: res.expiresIn }, 'client credentials token fetched');
        return token;
      } catch (err) {
        throw new AuthError('IDP_UNAVAILABLE', { cause: err });
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const usable = (t: CachedToken | undefined): t is CachedToken =>
    t !== undefined && (t.useUntil === undefined || now() < t.useUntil);

  return {
    async headers() {
      const token = usable(cached) ? cached : await fetchToken();
      return { authorization: `Bearer ${token.accessToken}` };
    },

    async renew(refused) {
      if (inFlight) {
        await inFlight;
        return true;
      }
      const refusedToken = refused?.authorization?.replace(/^Bearer /, '');
      // Refused an older token than the one now cached: retry with the cached one.
      if (refusedToken !== undefined && cached !== undefined && refusedToken !== cached.accessToken) return true;
      if (cached && now() - cached.fetchedAt < minRenewInterval) {
        // Without knowing what was refused, the fresh token may well be the answer.
        return refusedToken === undefined;
      }
      cached = undefined;
      await fetchToken();
      return true;
    },
  };
}
