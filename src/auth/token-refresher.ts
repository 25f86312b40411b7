import { LRUCache } from 'lru-cache';
import type { Logger } from '../observability/logger.js';
import { type AuthEvents, NO_AUTH_EVENTS } from './events.js';
import { type Lock, LockTimeoutError, type SessionTokens, type TokenGeneration, type TokenVault } from '../session/index.js';
import { OidcError, type OidcClient } from './oidc-client.js';

export type { TokenGeneration } from '../session/index.js';

/** What a refresh needs to know about the session it refreshes. */
export interface RefreshSubject extends TokenGeneration {
  /** The session's id: the key refreshes of one session are serialised on. */
  readonly sessionId: string;
  /** The signed-in user; a refresh answering for another subject is refused. */
  readonly sub: string;
}

/** The session ended (logout, back-channel logout, expiry) before or while its tokens were refreshed. */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';
}

/**
 * Refreshes a session's tokens so that one session never redeems the same refresh token
 * twice, across every instance sharing the store. That matters because IdPs rotate
 * refresh tokens and treat a reused one as theft, revoking the whole grant (signing the
 * user out). For one session:
 * - concurrent refreshes in one process share one attempt (no lock traffic for them);
 * - attempts of different processes take a lock in the shared state (Redis), then
 *   re-read the stored tokens under it: if another instance moved the generation on
 *   meanwhile, its tokens are used and the IdP is not called;
 * - the new tokens are written to the store (compare-and-set on the generation) before
 *   the lock is released, so the next holder reads them;
 * - a request still holding an older generation gets the newer tokens instead of
 *   refreshing again.
 */
export interface TokenRefresher {
  /**
   * New tokens for the subject (or newer ones already obtained). Rejects with `OidcError`
   * (the IdP refused or is unavailable) or `SessionEndedError`.
   */
  refresh(subject: RefreshSubject): Promise<TokenGeneration>;
  /** Tokens newer than `generation` this process obtained for the session, if any. */
  newer(sessionId: string, generation: number): TokenGeneration | undefined;
}

export interface TokenRefresherOptions {
  readonly oidc: OidcClient;
  readonly logger: Logger;
  /** The sessions' stored tokens (`createTokenVault`). */
  readonly vault: TokenVault;
  /**
   * Serialises refreshes of one session across instances (`createLock` on the shared
   * state). Its `ttlMs` must exceed the IdP's timeout.
   */
  readonly lock: Lock;
  /** How many sessions' latest refresh results are remembered. Default `10_000`. */
  readonly memory?: number;
  /** How long a refresh result is remembered, in milliseconds. Default `600_000`. */
  readonly memoryTtlMs?: number;
  /** Each refresh at the IdP and each failed refresh, for metrics. Default `NO_AUTH_EVENTS`. */
  readonly events?: AuthEvents;
}

export function createTokenRefresher(opts: TokenRefresherOptions): TokenRefresher {
  const inFlight = new Map<string, Promise<TokenGeneration>>();
  const latest = new LRUCache<string, TokenGeneration>({
    max: opts.memory ?? 10_000,
    ttl: opts.memoryTtlMs ?? 600_000,
  });
  const log = opts.logger.child({ component: 'token-refresher' });
  const events = opts.events ?? NO_AUTH_EVENTS;

  const newer = (sessionId: string, generation: number) => {
    const known = latest.get(sessionId);
    return known && known.generation > generation ? known : undefined;
  };
  const remember = (sessionId: string, g: TokenGeneration) => {
    const known = latest.get(sessionId);
    if (!known || known.generation < g.generation) latest.set(sessionId, g);
    return g;
  };

  const underLock = async (subject: RefreshSubject): Promise<TokenGeneration> => {
    const stored = await opts.vault.read(subject.sessionId, subject.sub);
    if (!stored) throw new SessionEndedError('The session ended.');
    if (stored.generation > subject.generation) {
      log.debug({ generation: stored.generation }, 'tokens already refreshed elsewhere');
      return remember(subject.sessionId, stored);
    }
    // The store may lag this process (a write that failed): never go back to older tokens.
    const base = stored.generation < subject.generation ? subject : stored;
    const old = base.tokens;
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
    // Remembered first: if the store write fails, this process still has the rotated token.
    const next = remember(subject.sessionId, { generation: base.generation + 1, tokens });
    const saved = await opts.vault.write(subject.sessionId, subject.sub, next);
    if (!saved) throw new SessionEndedError('The session ended during the refresh.');
    events.refreshed('refreshed');
    log.debug({ generation: saved.generation, rotated: res.refreshToken !== undefined }, 'tokens refreshed');
    return remember(subject.sessionId, saved);
  };

  const run = async (subject: RefreshSubject): Promise<TokenGeneration> => {
    try {
      return await opts.lock.run(`refresh:${subject.sessionId}`, () => underLock(subject));
    } catch (err) {
      events.refreshed('failed');
      if (err instanceof LockTimeoutError) {
        throw new OidcError('unavailable', 'Another refresh of this session did not finish in time.', undefined, { cause: err });
      }
      throw err;
    }
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
