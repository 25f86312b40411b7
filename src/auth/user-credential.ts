import type { Request } from 'express';
import type { Config } from '../config/index.js';
import type { Credential } from '../downstream/credential.js';
import { lazyChild, type Logger } from '../observability/logger.js';
import { endSession, type SessionTokens, type TokenCrypto } from '../session/index.js';
import { AuthError } from './errors.js';
import { OidcError } from './oidc-client.js';
import { SessionEndedError, type TokenGeneration, type TokenRefresher } from './token-refresher.js';

/** The signed-in user's access token, as a downstream credential. */
export interface UserCredential extends Credential {
  /** The user the token belongs to. */
  readonly sub: string;
}

export interface UserCredentialDeps {
  readonly crypto: TokenCrypto;
  readonly config: Config;
  readonly logger: Logger;
  /** Shared by all requests of the process (it serialises refreshes per session, and across instances). */
  readonly refresher: TokenRefresher;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/** Per request: the decrypted tokens (decrypted once however many calls need them). */
interface RequestTokens {
  current: TokenGeneration;
  /** A refresh under way for this request (proactive or forced), shared by its callers. */
  refreshing?: Promise<TokenGeneration>;
  /** `renew()` refreshes at most once per request. */
  renewed?: Promise<boolean>;
  /** Set once this request refreshed: a token that is fresh from the IdP is used as is. */
  refreshed?: boolean;
}

const memo = new WeakMap<Request, RequestTokens>();

/**
 * The user's access token for downstream calls made on behalf of `req`, or null when the
 * request has no signed-in session. Build one per request (cheap: nothing is decrypted
 * until a call needs the token).
 *
 * `headers()` returns `authorization: Bearer …`, first refreshing the token when it
 * expires within `TOKEN_REFRESH_SKEW_S`; the refresher stores new tokens in the session
 * store itself (under its lock), so this request's copy of the session is left as it was
 * and express-session has nothing to write back. Failures are `AuthError`s:
 * - `UNAUTHENTICATED` when the session is gone or its grant was revoked (`invalid_grant`),
 *   or it ended meanwhile: the session is then destroyed and its cookie cleared;
 * - `IDP_UNAVAILABLE` when the IdP could not refresh: the session is kept.
 * `renew()` (after a downstream 401) forces one refresh per request; it throws the same
 * errors and otherwise resolves true.
 */
export function createUserCredential(req: Request, deps: UserCredentialDeps): UserCredential | null {
  const auth = req.session?.auth;
  if (!auth) return null;
  const sub = auth.sub;
  const now = deps.now ?? Date.now;
  const skewMs = deps.config.session.tokenRefreshSkewS * 1000;
  // Made on the first line written (ending a session): a child per signed-in request
  // would serialise its bindings through the redaction paths every time (issue 9).
  const log = lazyChild(deps.logger, { component: 'user-credential' });
  const refresher = deps.refresher;

  const end = async (why: string, cause?: unknown): Promise<never> => {
    log.info({ reason: why }, 'ending session');
    memo.delete(req);
    const res = req.res;
    try {
      if (res) await endSession(req, res, deps.config);
    } catch (err) {
      log.error({ err }, 'could not delete the session from the store');
    }
    throw new AuthError('UNAUTHENTICATED', { cause });
  };

  /** The session's current auth data, if it still belongs to the same user. */
  const liveAuth = () => {
    const a = req.session?.auth;
    return a && a.sub === sub ? a : undefined;
  };

  const load = async (): Promise<RequestTokens> => {
    const cached = memo.get(req);
    if (cached) return cached;
    const a = liveAuth();
    if (!a) throw new AuthError('UNAUTHENTICATED');
    const tokens = deps.crypto.decrypt(a.tokens, sub);
    if (!tokens) return end('stored tokens cannot be decrypted (tampered, or the key was retired)');
    const state: RequestTokens = { current: { generation: a.tokenGeneration, tokens } };
    memo.set(req, state);
    // Another request of this process may have refreshed since this one loaded the session.
    adopt(state, refresher.newer(req.sessionID, a.tokenGeneration));
    return state;
  };

  /** Uses newer tokens for the rest of this request (the store already has them). */
  const adopt = (state: RequestTokens, next: TokenGeneration | undefined): void => {
    if (next && next.generation > state.current.generation) state.current = next;
  };

  const refresh = (state: RequestTokens): Promise<TokenGeneration> => {
    state.refreshing ??= (async () => {
      try {
        adopt(state, await refresher.refresh({ sessionId: req.sessionID, sub, ...state.current }));
        state.refreshed = true;
        return state.current;
      } catch (err) {
        if (err instanceof OidcError && err.kind === 'invalid_grant') {
          return end('the IdP no longer accepts the refresh token', err);
        }
        if (err instanceof SessionEndedError) return end('the session ended during the refresh', err);
        throw new AuthError('IDP_UNAVAILABLE', { cause: err });
      } finally {
        state.refreshing = undefined;
      }
    })();
    return state.refreshing;
  };

  const bearer = (tokens: SessionTokens) => ({ authorization: `Bearer ${tokens.accessToken}` });

  return {
    sub,

    async headers() {
      const state = await load();
      const { tokens } = state.current;
      const expiresAt = tokens.accessTokenExpiresAt;
      if (expiresAt === undefined || expiresAt - now() > skewMs) return bearer(tokens);
      // An IdP whose tokens live less than the skew must not cause a refresh per call.
      if (state.refreshed && expiresAt > now()) return bearer(tokens);
      if (!tokens.refreshToken) {
        // Nothing to refresh with: use the token while it lasts, then the session is over.
        if (expiresAt > now()) return bearer(tokens);
        return end('the access token expired and there is no refresh token');
      }
      return bearer((await refresh(state)).tokens);
    },

    async renew() {
      const state = await load();
      state.renewed ??= refresh(state).then(() => true);
      return state.renewed;
    },
  };
}
