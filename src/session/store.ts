import { RedisStore } from 'connect-redis';
import session, { type SessionData, type Store } from 'express-session';
import { LRUCache } from 'lru-cache';
import type { RedisClientType } from 'redis';
import './session-data.js';

/**
 * A connected node-redis v5 client, whatever modules, functions, scripts or RESP version
 * it was created with (`createClient(...)` and a bare `RedisClientType` both fit).
 */
export type RedisClient = RedisClientType<any, any, any, any, any>;

export interface SessionStoreOptions {
  /**
   * A connected node-redis v5 client. Omitted: an in-process MemoryStore, for
   * development and tests only (sessions are lost on restart and not shared).
   */
  readonly redis?: RedisClient;
  /** Redis key prefix. Default `shop-bff:sess:`. */
  readonly prefix?: string;
  /**
   * Fraction of a session's idle window that must pass before its expiry is pushed
   * forward again in the store (see `throttleTouch`). Default `0.1`.
   */
  readonly touchAfterFraction?: number;
  /** Upper bound of sessions whose last touch is remembered. Default `100_000`. */
  readonly touchMemory?: number;
  /** Clock, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/** Redis TTL when a session carries no cookie expiry (never the case with our middleware). */
const FALLBACK_TTL_S = 24 * 60 * 60;

/**
 * The store's expiry for a session: its sliding idle expiry (the cookie's), but never
 * past the absolute end of a signed-in session. A result <= 0 makes connect-redis
 * delete the entry instead of writing it.
 */
export function sessionTtlSeconds(sess: SessionData, now: number): number {
  const expires = sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : now + FALLBACK_TTL_S * 1000;
  const end = sess.auth ? Math.min(expires, sess.auth.expiresAt) : expires;
  return Math.ceil((end - now) / 1000);
}

/**
 * Creates the session store: connect-redis on the given client, or a MemoryStore.
 * Both get the same touch throttling, so tests on either see production behaviour.
 */
export function createSessionStore(opts: SessionStoreOptions = {}): Store {
  const now = opts.now ?? Date.now;
  const store: Store = opts.redis
    ? new RedisStore({
        client: opts.redis,
        prefix: opts.prefix ?? 'shop-bff:sess:',
        ttl: (sess: SessionData) => sessionTtlSeconds(sess, now()),
      })
    : new session.MemoryStore();
  throttleTouch(store, {
    fraction: opts.touchAfterFraction ?? 0.1,
    max: opts.touchMemory ?? 100_000,
    now,
  });
  return store;
}

/**
 * Performance: express-session "touches" every unmodified session at the end of every
 * request (connect-redis turns that into an EXPIRE), which doubles the Redis round trips
 * of the hot path (GET + EXPIRE). The sliding idle timeout does not need that precision:
 * here a session's expiry is pushed forward only when at least `fraction` of its idle
 * window has passed since this process last wrote or touched it. A session used every
 * second costs one EXPIRE per ~3 minutes (idle window 30 min) instead of one per request.
 *
 * The price: a session may expire up to `fraction` of the idle window earlier than
 * "idle window after the last request" (never later, so the timeout stays a security
 * bound). We prefer this to connect-redis' `disableTouch` plus a timestamp in the session
 * because touching with EXPIRE never rewrites the session body: a touch can therefore
 * never write stale tokens over ones another request just refreshed.
 *
 * Memory: one timestamp per recently active session id, bounded by `max` (LRU); a session
 * forgotten here is simply touched again on its next request.
 */
export function throttleTouch(store: Store, opts: { fraction: number; max: number; now: () => number }): void {
  const touch = store.touch?.bind(store);
  const set = store.set.bind(store);
  const last = new LRUCache<string, number>({ max: opts.max });

  store.set = (sid, sess, cb) => {
    set(sid, sess, (err?: unknown) => {
      if (err) last.delete(sid);
      else last.set(sid, opts.now());
      cb?.(err);
    });
  };

  const destroy = store.destroy.bind(store);
  store.destroy = (sid, cb) => {
    last.delete(sid);
    destroy(sid, cb);
  };

  if (!touch) return;
  store.touch = (sid, sess, cb) => {
    const now = opts.now();
    const window = sess.cookie?.originalMaxAge ?? 0;
    const previous = last.get(sid);
    if (previous !== undefined && now - previous < window * opts.fraction) {
      cb?.();
      return;
    }
    last.set(sid, now);
    touch(sid, sess, (err?: unknown) => {
      if (err) last.delete(sid);
      // express-session's typings say touch callbacks take no argument; at runtime it
      // takes the error, like every other store callback.
      (cb as ((err?: unknown) => void) | undefined)?.(err);
    });
  };
}
