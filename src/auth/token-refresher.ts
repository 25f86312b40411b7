import { LRUCache } from 'lru-cache';
import type { Logger } from '../observability/logger.js';
import type { SessionTokens } from '../session/index.js';
import { OidcError, type OidcClient } from './oidc-client.js';

/** The tokens of one session at one generation (incremented by every refresh). */
export interface TokenGeneration {
  readonly generation: number;
  readonly tokens: SessionTokens;
}

/** What a refresh needs to know about the session it refreshes. */
export interface RefreshSubject extends TokenGeneration {
  /** The session's id: the key refreshes of one session are serialised on. */
  readonly sessionId: string;
  /** The signed-in user; a refresh answering for another subject is refused. */
  readonly sub: string;
}

/**
 * Refreshes a session's tokens so that, in this process, one session never redeems the
 * same refresh token twice. That matters because IdPs rotate refresh tokens and treat a
 * reused one as theft, revoking the whole grant (signing the user out):
 * - concurrent refreshes of one session share one request to the IdP;
 * - a request still holding an older generation (it loaded the session before another
 *   request refreshed it) gets the newer tokens instead of refreshing again.
 *
 * This is the one place a distributed lock goes (a later issue): take a per-session lock
 * in Redis around `refresh`, re-read the session's generation from the store under it,
 * and only call the IdP when nobody else has moved it forward.
 */
export interface TokenRefresher {
  /** New tokens for the subject (or newer ones already obtained). Rejects with `OidcError`. */
  refresh(subject: RefreshSubject): Promise<TokenGeneration>;
  /** Tokens newer than `generation` this process obtained for the session, if any. */
  newer(sessionId: string, generation: number): TokenGeneration | undefined;
}

export interface TokenRefresherOptions {
  readonly oidc: OidcClient;
  readonly logger: Logger;
  /** How many sessions' latest refresh results are remembered. Default `10_000`. */
  readonly memory?: number;
  /** How long a refresh result is remembered, in milliseconds. Default `600_000`. */
  readonly memoryTtlMs?: number;
}

export function createTokenRefresher(opts: TokenRefresherOptions): TokenRefresher {
  const inFlight = new Map<string, Promise<TokenGeneration>>();
  const latest = new LRUCache<string, TokenGeneration>({
    max: opts.memory ?? 10_000,
    ttl: opts.memoryTtlMs ?? 600_000,
  });
  const log = opts.logger.child({ component: 'token-refresher' });

  const newer = (sessionId: string, generation: number) => {
    const known = latest.get(sessionId);
    return known && known.generation > generation ? known : undefined;
  };

  const run = async (subject: RefreshSubject): Promise<TokenGeneration> => {
    const old = subject.tokens;
    if (!old.refreshToken) throw new OidcError('invalid_grant', 'The session has no refresh token.');
    const res = await opts.oidc.refresh(old.refreshToken);
    if (res.sub !== undefined && res.sub !== subject.sub) {
      throw new OidcError('invalid_grant', 'The refreshed ID token is for another subject.');
    }
    const tokens: SessionTokens = {
      accessToken: res.accessToken,
      // An IdP that does not rotate sends no new refresh token: the old one stays valid.
      ...(res.refreshToken ?? old.refreshToken ? { refreshToken: res.refreshToken ?? old.refreshToken } : {}),
      ...(res.idToken ?? old.idToken ? { idToken: res.idToken ?? old.idToken } : {}),
      ...(res.expiresAt !== undefined ? { accessTokenExpiresAt: res.expiresAt } : {}),
    };
    const result = { generation: subject.generation + 1, tokens };
    latest.set(subject.sessionId, result);
    log.debug({ generation: result.generation, rotated: res.refreshToken !== undefined }, 'tokens refreshed');
    return result;
  };

  return {
    newer,
    refresh(subject) {
      const known = newer(subject.sessionId, subject.generation);
      if (known) return Promise.resolve(known);
      let pending = inFlight.get(subject.sessionId);
      if (!pending) {
        pending = run(subject).finally(() => inFlight.delete(subject.sessionId));
        inFlight.set(subject.sessionId, pending);
      }
      return pending;
    },
  };
}
