/**
 * The errors sign-in and token handling raise towards callers (routes, the GraphQL
 * layer). Messages are written for end users: they never carry a token, a secret, an
 * IdP response body or anything else a client should not see. The original failure,
 * when there is one, is kept in `cause` for logs only.
 */
export type AuthErrorCode =
  /** There is no usable session (never was, expired, or the IdP revoked the grant). */
  | 'UNAUTHENTICATED'
  /** The identity provider could not be reached or failed; the session is kept. */
  | 'IDP_UNAVAILABLE';

const MESSAGES: Record<AuthErrorCode, string> = {
  UNAUTHENTICATED: 'Sign in to do this.',
  IDP_UNAVAILABLE: 'Sign-in is temporarily unavailable. Please try again shortly.',
};

export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly code: AuthErrorCode,
    options: { message?: string; cause?: unknown } = {},
  ) {
    super(options.message ?? MESSAGES[code], options.cause === undefined ? undefined : { cause: options.cause });
  }
}
