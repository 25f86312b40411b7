/** Sign-in, sessions' tokens and service tokens: the public pieces of `src/auth`. */
export { AuthError, type AuthErrorCode } from './errors.js';
export { type AuthEvents, NO_AUTH_EVENTS } from './events.js';
export {
  createClientCredentialsToken,
  type ClientCredentialsTokenOptions,
} from './client-credentials.js';
export {
  createOidcClient,
  type IdpMetadata,
  type LoginRequest,
  type OidcClient,
  type OidcClientOptions,
  OidcError,
  type OidcFailure,
  type TokenAuthMethod,
  type TokenResult,
  type UserClaims,
} from './oidc-client.js';
export { type BackchannelLogoutOptions, backchannelLogout } from './backchannel-logout.js';
export { requireCsrfHeader } from './csrf.js';
export {
  BACKCHANNEL_LOGOUT_EVENT,
  createLogoutTokenVerifier,
  type LogoutClaims,
  LogoutTokenError,
  type LogoutTokenVerifierOptions,
} from './logout-token.js';
export { safeReturnTo } from './return-to.js';
export { type AuthRouterDeps, createAuthRouter } from './routes.js';
export {
  createTokenRefresher,
  type RefreshSubject,
  SessionEndedError,
  type TokenGeneration,
  type TokenRefresher,
  type TokenRefresherOptions,
} from './token-refresher.js';
export { createUserCredential, type UserCredential, type UserCredentialDeps } from './user-credential.js';
export { viewerFromRequest } from './viewer.js';
