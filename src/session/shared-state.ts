/**
 * The small key-value state that every instance of the BFF must see alike: sessions, the
 * index from the IdP's `sid`/`sub` to session ids, refresh locks, and the ids of logout
 * tokens already used. Redis when `REDIS_URL` is set (see redis-state.ts), otherwise
 * process memory (memory-state.ts: one instance only, for development and tests).
 *
 * Everything that must be atomic across instances is one operation of this interface, so
 * the code built on it (the session store, the lock, the replay cache) is the same for
 * both backends and tests of the memory backend exercise the production logic.
 * Keys are relative: each backend puts its own namespace in front.
 */
export interface SharedState {
  /** The string at `key`, or null when there is none (or it expired). */
  get(key: string): Promise<string | null>;
  /** Milliseconds until `key` expires, or null when it does not exist. */
  ttlMs(key: string): Promise<number | null>;
  /** Writes `value`, expiring after `ttlMs`, whatever was there. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Writes `value` (expiring after `ttlMs`) only if `key` holds exactly `expected` now
   * (`null`: only if it does not exist). Resolves whether it wrote.
   */
  compareAndSet(key: string, expected: string | null, value: string, ttlMs: number): Promise<boolean>;
  /** Writes `value` only if `key` does not exist (SET NX PX). Resolves whether it wrote. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only if it holds `value`. Resolves whether it deleted. */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /** Sets the expiry of an existing key; does nothing when it does not exist. */
  expire(key: string, ttlMs: number): Promise<void>;
  /** Adds `member` to the set at `key` and sets the set to expire after `ttlMs`. */
  addToSet(key: string, member: string, ttlMs: number): Promise<void>;
  /** Removes `member` from the set at `key`. */
  removeFromSet(key: string, member: string): Promise<void>;
  /** The members of the set at `key` (empty when there is none). */
  members(key: string): Promise<string[]>;
}
