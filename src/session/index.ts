export { assertCookieRules, sessionCookieOptions } from './cookie.js';
export { clearSessionCookie, endSession, regenerateSession, saveSession } from './helpers.js';
export { createLock, type Lock, type LockOptions, LockTimeoutError } from './lock.js';
export { createMemoryState, type MemoryStateOptions } from './memory-state.js';
export { createSessionMiddleware, type SessionMiddlewareOptions, type TokenCheck } from './middleware.js';
export type { SessionStore } from './records-store.js';
export { connectSharedRedis, createSharedRedis, luaScript, pingSharedRedis, redisReady, type SharedRedis } from './redis-connection.js';
export { createRedisState, type RedisClient, type RedisStateOptions } from './redis-state.js';
export type { AuthSession, MobileLogin, PendingLogin } from './session-data.js';
export { type SessionSelector, sessionTtlSeconds } from './session-records.js';
export type { SharedState } from './shared-state.js';
export { preventSliding } from './sliding.js';
export { createSessionStore, type SessionStoreOptions } from './store.js';
export { createTokenCheck, type TokenCheckOptions } from './token-check.js';
export { createTokenCrypto, keysFromSessionSecret, type SessionTokens, type TokenCrypto } from './token-crypto.js';
export { createTokenVault, type TokenGeneration, type TokenVault } from './token-vault.js';
export {
  SESSION_RETRY_AFTER_S,
  SESSION_STORE_UNAVAILABLE,
  SESSION_STORE_UNAVAILABLE_MESSAGE,
  SessionUnavailableError,
} from './unavailable.js';
