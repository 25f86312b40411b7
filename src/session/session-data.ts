/**
 * What the BFF keeps in a session (express-session's `SessionData`, stored in Redis).
 * Everything here is readable by whoever can read the store, so tokens only ever appear
 * inside the encrypted `auth.tokens` blob (see token-crypto.ts).
 */

/** An authorization request sent to the IdP and not yet answered. */
export interface PendingLogin {
  /** OAuth `state`: the key the callback is matched by. */
  readonly state: string;
  readonly nonce: string;
  /** PKCE verifier; its S256 challenge went to the IdP. */
  readonly codeVerifier: string;
  /** Local path to land on after sign-in (already checked by safeReturnTo). */
  readonly returnTo: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Set when a native app started this sign-in (`/auth/mobile/login`): the callback hands off to the app instead of setting a cookie. */
  readonly mobile?: MobileLogin;
}

/** What a native app's sign-in is bound to (contracts/mobile-sign-in.md). */
export interface MobileLogin {
  /** The app's id in `MOBILE_APPS`. */
  readonly app: string;
  /** BASE64URL(SHA-256(code_verifier)): only the holder of the verifier redeems the code. */
  readonly codeChallenge: string;
  /** The app's own `state`, returned to it untouched. */
  readonly state: string;
}

/** The signed-in user. */
export interface AuthSession {
  readonly sub: string;
  readonly name: string | null;
  readonly email: string | null;
  /** The IdP's session id (`sid` claim), for back-channel logout; null when not issued. */
  readonly sid: string | null;
  /** Epoch milliseconds. */
  readonly loginAt: number;
  /** Hard end of the session (loginAt + SESSION_ABSOLUTE_TIMEOUT_S), epoch milliseconds. */
  readonly expiresAt: number;
  /**
   * Random id put in `logoutUrl` so that `/auth/logout` cannot be triggered cross-site;
   * it is not the session id and grants nothing else.
   */
  readonly logoutId: string;
  /** `SessionTokens` sealed by TokenCrypto with `sub` as context. */
  tokens: string;
  /** Copy of the access token's expiry (epoch ms) so callers can decide without decrypting. */
  accessTokenExpiresAt: number | null;
  /**
   * Incremented on every refresh. The store never replaces a generation with an older
   * one (see write-rules.ts): a request that loaded the session before a refresh cannot
   * write back a refresh token the IdP has already rotated away.
   */
  tokenGeneration: number;
}

declare module 'express-session' {
  interface SessionData {
    auth?: AuthSession;
    /**
     * Logins in flight, newest last. A few are kept so that sign-in started in two tabs
     * does not fail in the first one.
     */
    pendingLogins?: PendingLogin[];
    /**
     * The channel the session was issued for. Unset: a browser session, reached only by
     * its cookie. `mobile`: a native app's session, reached only by its handle
     * (`Authorization: Bearer`). `mobile-handoff`: a native app's sign-in waiting for its
     * one-time code to be redeemed, reached by nothing (it is there so back-channel
     * logout finds it). A cookie naming a session of another channel is no session.
     */
    channel?: 'mobile' | 'mobile-handoff';
  }
}
