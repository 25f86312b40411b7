export { sessionCookieOptions } from './cookie.js';
export { clearSessionCookie, endSession, regenerateSession, saveSession } from './helpers.js';
export { createSessionMiddleware, type SessionMiddlewareOptions } from './middleware.js';
export type { AuthSession, PendingLogin } from './session-data.js';
export {
  createSessionStore,
  type RedisClient,
  type SessionStoreOptions,
  sessionTtlSeconds,
  throttleTouch,
} from './store.js';
export { createTokenCrypto, type SessionTokens, type TokenCrypto } from './token-crypto.js';
