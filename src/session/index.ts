export { assertCookieRules, sessionCookieOptions } from './cookie.js';
export { clearSessionCookie, endSession, regenerateSession, saveSession } from './helpers.js';
export { createLock, type Lock, type LockOptions, LockTimeoutError } from './lock.js';
export { createMemoryState, type MemoryStateOptions } from './memory-state.js';
export { createSessionMiddleware, type SessionMiddlewareOptions } from './middleware.js';
export { createRedisState, type RedisClient, type RedisStateOptions } from './redis-state.js';
export type { AuthSession, PendingLogin } from './session-data.js';
export type { SharedState } from './shared-state.js';
export { preventSliding } from './sliding.js';
export {
  createSessionStore,
  type SessionSelector,
  type SessionStore,
  type SessionStoreOptions,
  sessionTtlSeconds,
  throttleTouch,
} from './store.js';
export { createTokenCrypto, type SessionTokens, type TokenCrypto } from './token-crypto.js';
export { createTokenVault, type TokenGeneration, type TokenVault } from './token-vault.js';
